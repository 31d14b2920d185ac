import {execute, outcomeOf} from './engine.js';
import {KnoudsError} from './errors/knouds-error.js';
import {resolveOptions, resolveTimeout, type FetchLike, type KnoudsRetryOptions} from './options.js';
import {readBodyText} from './read-body.js';
import {fail} from './validate.js';

/**
Options of `createKnoudsFetch()`.
*/
export type KnoudsFetchOptions = KnoudsRetryOptions & {
	/**
	The fetch that sends each attempt. Looked up on every call when not given, so a test's mock of
	`globalThis.fetch` applies.
	@default globalThis.fetch
	*/
	readonly fetch?: FetchLike | undefined;
	/**
	Bounds each attempt, until its response headers arrive, in milliseconds. The waits between attempts do not count.
	@default false (no limit, as with fetch)
	*/
	readonly timeout?: number | false | undefined;
	/**
	Bounds the whole call, attempts and waits, in milliseconds. When the next wait would cross it, the call ends at once.
	@default false (no limit)
	*/
	readonly totalTimeout?: number | false | undefined;
};

/**
A function with fetch's signature that retries Knouds failures.
*/
export type KnoudsFetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

const fetchOptionKeys = {fetch: true, timeout: true, totalTimeout: true} as const satisfies {[K in Exclude<keyof KnoudsFetchOptions, keyof KnoudsRetryOptions>]-?: true};

/**
Creates a fetch that retries what the Knouds API says can be retried, and nothing else.

It resolves with the final `Response` (a success, a terminal error, or the last failure once retries
run out) with its body unread, so `if (!res.ok) { const err = await res.json(); … }` works unchanged.
It rejects only on a network failure or timeout after retries, or on abort. Use `toKnoudsError()` to
get the typed error from a failed response.

@example
```
import {createKnoudsFetch, toKnoudsError} from 'knouds-retry';

const knoudsFetch = createKnoudsFetch({timeout: 30_000});
const response = await knoudsFetch('https://api.knouds.example/v1/models/flux/run', {
	method: 'POST',
	headers: {'x-api-key': key, 'content-type': 'application/json'},
	body: JSON.stringify({inputs}),
});
if (!response.ok) {
	throw await toKnoudsError(response);
}
```
*/
export const createKnoudsFetch = (options: KnoudsFetchOptions = {}): KnoudsFetch => {
	if (typeof options === 'function') {
		throw new TypeError('Expected `options` to be an object, got a function. To send attempts through your own fetch, pass it as `createKnoudsFetch({fetch})`.');
	}

	const resolved = resolveOptions(options, fetchOptionKeys, 'createKnoudsFetch()');
	if (options.fetch !== undefined && typeof options.fetch !== 'function') {
		fail('fetch', 'a function with fetch\'s signature', options.fetch);
	}

	const underlying: FetchLike = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
	const attemptTimeout = resolveTimeout('timeout', options.timeout);
	const totalTimeout = resolveTimeout('totalTimeout', options.totalTimeout);
	return (input, init) => execute(resolved, input, init, {
		fetch: underlying,
		platformFetch: options.fetch === undefined,
		attemptTimeout,
		deadline: totalTimeout === undefined ? undefined : Date.now() + totalTimeout,
		sent: {count: 0},
		retriesOff: () => false,
		signalPerCall: false,
		answered: {controller: undefined},
	});
};

/**
The typed error for a failed response, or `undefined` for a successful one.

For a response from `createKnoudsFetch()` it uses what the retry loop already read (attempts, the
server's `Retry-After`, why retrying stopped) and leaves the body unread. For any other response it
reads a clone of the body.

@param request - The request, to name its method and URL in the message when the response did not come from `createKnoudsFetch()`.
*/
export const toKnoudsError = async (response: Response, request?: Request): Promise<KnoudsError | undefined> => {
	if (response.status < 400) {
		return undefined;
	}

	const outcome = outcomeOf(response);
	if (outcome) {
		return new KnoudsError(response, outcome.init);
	}

	let read = {text: '', truncated: false};
	try {
		read = await readBodyText(response.clone());
	} catch {
		// A used body cannot be cloned: the error then carries the status alone.
	}

	return new KnoudsError(response, {body: read.text, truncated: read.truncated, ...(request === undefined ? {} : {request})});
};
