import {redactUrl} from './redact-url.js';
import {redacted, secretHeaders} from './secret-names.js';

export {redacted} from './secret-names.js';

/** Anything `new Headers()` accepts. */
export type HeadersLike = ConstructorParameters<typeof Headers>[0];

/**
A copy of the headers with every credential replaced by `[REDACTED]`.
*/
export const redactHeaders = (headers: HeadersLike): Headers => {
	const copy = new Headers();
	for (const [name, value] of new Headers(headers)) {
		copy.append(name, secretHeaders.has(name) ? redacted : value);
	}

	return copy;
};

/**
A body-less, signal-less copy of a request whose credentials are redacted, in its headers and in its
URL's query: safe to keep on an error that may be logged, serialised or inspected.
*/
export const redactRequest = (url: string, method: string, headers: HeadersLike): Request => {
	const init = {method, headers: redactHeaders(headers)};
	try {
		return new Request(redactUrl(url), init);
	} catch {
		// A method fetch forbids, or a URL it cannot parse: keep the headers, lose the detail.
		return new Request('http://invalid.invalid/', {headers: init.headers});
	}
};

/**
Makes a property hold a redacted value and hides it from `JSON.stringify` and `util.inspect`.
*/
export const hideProperty = (target: object, name: string, value: unknown): void => {
	Object.defineProperty(target, name, {value, enumerable: false, writable: true, configurable: true});
};

/**
Makes a response that an error keeps read its `url` with credentials redacted, as the error's request
does: `util.inspect` of the error shows the response, and the response its URL. Only a URL with a
credential in its query is shadowed; the response is otherwise untouched.
*/
export const redactResponseUrl = (response: Response): void => {
	let url: string;
	try {
		url = response.url;
	} catch {
		// Not a real Response (a test double): it has no URL to redact.
		return;
	}

	const safe = redactUrl(url);
	if (safe !== url) {
		hideProperty(response, 'url', safe);
	}
};

/**
A copy of ky's options with the URLs it keeps (`baseUrl`, `prefix`) redacted like a request's URL.
*/
export const redactOptionUrls = <T extends object>(options: T): T => {
	const copy = {...options} as Record<string, unknown>;
	for (const name of ['baseUrl', 'prefix']) {
		const value = copy[name];
		if (typeof value === 'string' || value instanceof URL) {
			copy[name] = redactUrl(String(value));
		}
	}

	return copy as T;
};
