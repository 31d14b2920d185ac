/** Anything `new Headers()` accepts. */
export type HeadersLike = ConstructorParameters<typeof Headers>[0];

/** What a redacted header value reads as. */
export const redacted = '[REDACTED]';

// Credentials a request may carry. The API key is the one Knouds uses; the rest are redacted too,
// since a wrapped client may send them to a proxy.
const secretHeaders: ReadonlySet<string> = new Set(['x-api-key', 'authorization', 'proxy-authorization', 'cookie']);

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
A body-less, signal-less copy of a request whose credentials are redacted: safe to keep on an error
that may be logged, serialised or inspected.
*/
export const redactRequest = (url: string, method: string, headers: HeadersLike): Request => {
	const init = {method, headers: redactHeaders(headers)};
	try {
		return new Request(url, init);
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
