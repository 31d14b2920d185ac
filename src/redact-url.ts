import {isSecretParameter, redacted} from './secret-names.js';

// A parameter of a query (or of a fragment, where OAuth puts tokens): a name after `?`, `&` or `#`, then
// `=` and a value. Both end where a URL written into text ends (whitespace, a quote, `<`, `>`); the value
// ends at `?` too, so that a secret in a URL nested in another parameter's value is found as well.
const parameter = /([?&#])([^?&#=\s"'`<>]+)=([^?&#\s"'`<>]*)/g;

// The user information of a URL, `scheme://user:password@`: fetch refuses such a URL, and says so in an
// error that quotes it.
const userInfo = /(\b[a-z][a-z\d+.-]*:\/\/)([^\s/?#@"'`<>]+)@/gi;

const decode = (text: string): string => {
	try {
		return decodeURIComponent(text.replaceAll('+', ' '));
	} catch {
		return text;
	}
};

/**
A URL, or any text that holds URLs (an error message, a stack), with the value of every query
parameter named like a credential (see `isSecretParameter`) and any `user:password@` replaced by
`[REDACTED]`. Everything else is kept as it was written, encoding included.
*/
export const redactUrl = (text: string): string => {
	// Most URLs have nothing to redact; skip the expressions for them.
	if (!text.includes('=') && !text.includes('@')) {
		return text;
	}

	return text
		.replaceAll(parameter, (match, separator: string, name: string, value: string) =>
			value !== '' && isSecretParameter(decode(name)) ? `${separator}${name}=${redacted}` : match)
		.replaceAll(userInfo, (_match, scheme: string) => `${scheme}${redacted}@`);
};

/**
The credentials `redactUrl` would redact in a text, each as written and decoded, so that a copy of one
found elsewhere (an error that quotes a decoded value) can be redacted too.
*/
export const secretsInUrl = (text: string): string[] => {
	const secrets: string[] = [];
	for (const [, , name = '', value = ''] of text.matchAll(parameter)) {
		if (value !== '' && isSecretParameter(decode(name))) {
			secrets.push(value, decode(value));
		}
	}

	for (const [, , info = ''] of text.matchAll(userInfo)) {
		const password = info.slice(info.indexOf(':') + 1);
		secrets.push(info, decode(info), ...(info.includes(':') ? [password, decode(password)] : []));
	}

	return secrets;
};
