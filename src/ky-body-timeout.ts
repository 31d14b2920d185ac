import {TimeoutError, type BeforeErrorHook, type KyRequest, type NormalizedOptions, type ResponsePromise} from 'ky';
import {abortBody} from './attempt.js';
import {maxTimer} from './sleep.js';

/** What a call needs to bound its body reads as ky's `timeout` would. */
export type BodyTimeout = {
	/** ky's `timeout`, in milliseconds. */
	readonly ms: number;
	/** The request ky sent last, named by the timeout error. */
	readonly request: () => Request | undefined;
	/** The call's beforeError hooks, knouds-retry's first, which ky runs on its own body-read timeouts. */
	readonly beforeError: readonly BeforeErrorHook[];
	/** What ky hands hooks as `options`; made only when a hook needs it. */
	readonly options: () => Readonly<NormalizedOptions>;
};

// The body methods ky's ResponsePromise offers; each reads the response through the method of the same
// name, except `json`, which reads `text` and parses it outside the timeout.
const shortcuts = ['json', 'text', 'arrayBuffer', 'blob', 'formData', 'bytes'] as const;
type Shortcut = typeof shortcuts[number];
type BodyMethod = Exclude<Shortcut, 'json'> | 'text';

const processed = async (error: Error, timeout: BodyTimeout): Promise<Error> => {
	let result = error;
	for (const hook of timeout.beforeError) {
		// Run in order, as ky runs them: each sees the error the one before returned.
		 
		const next = await hook({request: (timeout.request() ?? new Request('http://invalid.invalid/')) as KyRequest, options: timeout.options(), error: result, retryCount: 0});
		if (next instanceof Error) {
			result = next;
		}
	}

	return result;
};

// Reads the body with `method`, giving up after `ms`: the read's network transfer is stopped, and the
// read rejects with ky's TimeoutError after the beforeError hooks, as ky itself does. One promise and one
// timer, as ky's own race has: this runs on every successful call.
const raced = <T>(response: Response, method: BodyMethod, timeout: BodyTimeout): Promise<T> => new Promise<T>((resolve, reject) => {
	let timedOut = false;
	const read = (Response.prototype[method] as (this: Response) => Promise<T>).call(response);
	const timer = setTimeout(() => {
		timedOut = true;
		const error = new TimeoutError(timeout.request() ?? new Request(response.url || 'http://invalid.invalid/'));
		abortBody(response, error);
		processed(error, timeout).then(reject, reject);
	}, Math.min(timeout.ms, maxTimer));
	read.then(value => {
		clearTimeout(timer);
		if (!timedOut) {
			resolve(value);
		}
	}, (error: unknown) => {
		clearTimeout(timer);
		if (!timedOut) {
			// The read's own failure, passed on untouched as ky passes it.
			// eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
			reject(error);
		}
	});
});

// Lends the response a bounded `method` for one read: ky's shortcut calls it once; any later call reads
// as the response's own method would. Assigned, not defined and deleted: this runs on every call.
const lend = (response: unknown, method: BodyMethod, timeout: BodyTimeout): void => {
	if (!(response instanceof Response) || Object.hasOwn(response, method)) {
		return;
	}

	let used = false;
	(response as unknown as Record<BodyMethod, () => Promise<unknown>>)[method] = function (this: Response) {
		if (used) {
			return (Response.prototype[method] as (this: Response) => Promise<unknown>).call(this);
		}

		used = true;
		return raced(response, method, timeout);
	};
};

/**
Bounds the body reads of a call's shortcuts (`.json()`, `.text()` and the rest) by ky's `timeout`, as
ky does when it runs the attempts itself: the wrapped client hands ky `timeout: false`, since the engine
bounds each attempt and the waits between them must not count.

Only the shortcuts' own read is bounded, as with ky (for `.json()`, reading the text, not parsing it):
the method is lent to the response for that one read, so a body read straight from the response stays
unbounded, as it is with ky.
*/
export const boundBodyReads = <T>(result: ResponsePromise<T>, timeout: BodyTimeout): ResponsePromise<T> => {
	const promise = result as unknown as Record<Shortcut, ((...args: unknown[]) => Promise<unknown>) | undefined>;
	for (const shortcut of shortcuts) {
		const original = promise[shortcut];
		if (original !== undefined) {
			const method: BodyMethod = shortcut === 'json' ? 'text' : shortcut;
			promise[shortcut] = (...args: unknown[]) => {
				// Registered before ky's shortcut awaits the response, so this runs first and the method is in place
				// when ky reads; ky's shortcut itself is called at once, since it sets the Accept header before sending.
				result.then(response => {
					lend(response, method, timeout);
				}, noop);
				return original(...args);
			};
		}
	}

	return result;
};

const noop = (): void => undefined;
