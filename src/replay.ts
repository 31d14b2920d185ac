import type {HeadersLike} from './redact.js';
import {fail} from './validate.js';

type FetchArgs = [input: string | URL | Request, init: RequestInit | undefined];

/**
One fetch call, prepared so that every attempt can send it again, body included.
*/
export type PreparedRequest = {
	readonly method: string;
	readonly url: string;
	readonly headers: HeadersLike;
	readonly signal: AbortSignal | undefined;
	/** Fresh arguments for one attempt. */
	readonly next: () => FetchArgs;
	/**
	Cancels request bodies no one read once the call has ended, as ky does for its own: a custom fetch that
	answered without reading its body would otherwise leave a streamed body's source open for good.
	*/
	readonly release: () => void;
};

const noop = (): void => undefined;

// A body fetch is reading is locked, and cancelling it would fail: only an unread one is cancelled.
const cancelUnread = (request: Request | undefined): void => {
	if (request?.body !== null && request?.body !== undefined && !request.body.locked) {
		request.body.cancel().catch(noop);
	}
};

// What the engine uses of a signal; anything else would fail deep inside it, or in fetch.
const isSignal = (value: unknown): value is AbortSignal => {
	const signal = value as Partial<AbortSignal> | null;
	return typeof signal?.aborted === 'boolean' && typeof signal.throwIfAborted === 'function'
		&& typeof signal.addEventListener === 'function' && typeof signal.removeEventListener === 'function';
};

const isRequest = (value: unknown): value is Request =>
	value instanceof Request || Object.prototype.toString.call(value) === '[object Request]';

// Bodies fetch can send any number of times as they are; anything else (a stream, an async iterable) is read once.
const isReusableBody = (body: unknown): boolean =>
	body === undefined || body === null || typeof body === 'string' || body instanceof URLSearchParams
	|| body instanceof Blob || body instanceof ArrayBuffer || ArrayBuffer.isView(body) || body instanceof FormData;

// A Request this runtime's fetch does not take for one (another realm's, a polyfill's, one a ky hook
// returned): rebuilt from what it exposes, since fetch would read it as the string "[object Request]".
const fromRequestLike = (like: Request): Request => {
	const hasBody = like.body !== null && like.method !== 'GET' && like.method !== 'HEAD';
	return new Request(like.url, {
		method: like.method,
		headers: new Headers(like.headers),
		redirect: like.redirect,
		credentials: like.credentials,
		referrerPolicy: like.referrerPolicy,
		integrity: like.integrity,
		keepalive: like.keepalive,
		...(like.signal instanceof AbortSignal ? {signal: like.signal} : {}),
		...(hasBody ? {body: like.body, duplex: 'half'} : {}),
	});
};

const withoutBody = (init: RequestInit | undefined): RequestInit | undefined => {
	if (init === undefined) {
		return undefined;
	}

	const rest = {...init};
	delete rest.body;
	return rest;
};

/**
Prepares a fetch call for replay. A `Request` or a one-shot body stream is kept as a template and
cloned for each attempt (the clone buffers the body), so a retry sends the same bytes instead of an
empty or locked stream. Other bodies are reused as they are. Non-standard init fields (a `dispatcher`,
say) reach every attempt.
*/
export const prepareRequest = (input: string | URL | Request, init: RequestInit | undefined): PreparedRequest => {
	const signal = init?.signal ?? undefined;
	if (signal !== undefined && !isSignal(signal)) {
		fail('signal', 'an AbortSignal', signal);
	}

	if (!isRequest(input) && isReusableBody(init?.body)) {
		return {
			method: (init?.method ?? 'GET').toUpperCase(),
			url: String(input),
			headers: init?.headers,
			signal,
			next: () => [input, init === undefined ? undefined : {...init}],
			release: noop,
		};
	}

	// A Request with nothing to change (ky passes an empty init) is its own template: building another
	// costs a fifth of the layer's time on the success path.
	const request = isRequest(input) && !(input instanceof Request) ? fromRequestLike(input) : input;
	const template = isRequest(request) && (init === undefined || Object.keys(init).length === 0) ? request : new Request(request, init);
	const rest = withoutBody(init);
	let sent: Request | undefined;
	return {
		method: template.method.toUpperCase(),
		url: template.url,
		headers: template.headers,
		signal: template.signal,
		// Only a body needs a fresh copy per attempt; a bodyless Request can be sent again as it is.
		next() {
			sent = template.body === null ? template : template.clone();
			return [sent, rest === undefined ? undefined : {...rest}];
		},
		release() {
			cancelUnread(template);
			cancelUnread(sent);
		},
	};
};
