/** What a redacted credential reads as. */
export const redacted = '[REDACTED]';

/**
Headers that carry credentials. The API key is the one Knouds uses; the rest are redacted too, since a
wrapped client may send them to a proxy.
*/
export const secretHeaders: ReadonlySet<string> = new Set(['x-api-key', 'authorization', 'proxy-authorization', 'cookie']);

// The last word of a query parameter's name that marks it as a credential: `api_key`, `apiKey`,
// `x-api-key`, `access_token`, `client_secret`, `X-Amz-Signature`, `sig` (Azure SAS) all end in one.
// Redacting a parameter that was not secret (a `page_token`, say) costs a detail in an error message;
// missing one that was leaks a key, so the words are broad.
const secretWords: ReadonlySet<string> = new Set([
	'key', 'apikey', 'token', 'secret', 'password', 'passwd', 'pwd', 'pass', 'passphrase',
	'auth', 'authorization', 'credential', 'credentials', 'signature', 'sig', 'hmac', 'jwt', 'session', 'sessionid',
]);

// Words of a name: split at `-`, `_`, `.` and any other punctuation, and where camelCase turns upper.
const wordsOf = (name: string): string[] =>
	name.replaceAll(/([a-z\d])([A-Z])/g, '$1 $2').toLowerCase().split(/[^a-z\d]+/).filter(word => word !== '');

/**
Whether a query parameter, by its (decoded) name, carries a credential: when the name's last word,
read case-insensitively with `-`, `_`, `.` and camelCase as word breaks, is one of `key`, `apikey`,
`token`, `secret`, `password`, `passwd`, `pwd`, `pass`, `passphrase`, `auth`, `authorization`,
`credential`, `credentials`, `signature`, `sig`, `hmac`, `jwt`, `session` or `sessionid`, or when the
whole name run together is one of them (`sessionId`).
*/
export const isSecretParameter = (name: string): boolean => {
	const words = wordsOf(name);
	const last = words.at(-1);
	return last !== undefined && (secretWords.has(last) || secretWords.has(words.join('')));
};
