import {TimeoutError, type BeforeErrorHook, type KyRequest, type NormalizedOptions, type Options, type ResponsePromise} from 'ky';
import {maxTimer} from './sleep.js';

/** What a call needs to bound its body reads as ky's `timeout` would. */
export type BodyTimeout = {
	/** ky's `timeout`, in milliseconds. */
	readonly ms: number;
	/** The request ky sent last, named by the timeout error. */
	readonly request: () => Request | undefined;
	/** The call's beforeError hooks, knouds-retry's first, which ky runs on its own body-read timeouts. */
	readonly beforeError: readonly BeforeErrorHook[];
	/** Stops the network read of the body, when this layer holds the signal of the request behind it. */
	readonly abort: (reason: unknown) => void;
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
const raced = <T>(response: Response, read: Promise<T>, timeout: BodyTimeout): Promise<T> => new Promise<T>((resolve, reject) => {
	let timedOut = false;
	const timer = setTimeout(() => {
		timedOut = true;
		const error = new TimeoutError(timeout.request() ?? new Request(response.url || 'http://invalid.invalid/'));
		timeout.abort(error);
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
// as the response's own method would. Assigned, not defined and deleted: this runs on every call. A
// method the response has of its own (a custom fetch's response may) is bounded the same way, and put back.
const lend = (response: Response, method: BodyMethod, timeout: BodyTimeout): void => {
	const target = response as unknown as Record<BodyMethod, (this: Response) => Promise<unknown>>;
	const original = target[method];
	const own = Object.hasOwn(response, method);
	let used = false;
	target[method] = function (this: Response) {
		if (used) {
			return original.call(this);
		}

		used = true;
		if (own) {
			target[method] = original;
		}

		return raced(response, original.call(response), timeout);
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
				// A second shortcut on the same call (a rare thing) lends again, over a method the first already used:
				// its read fails at once, as the used body's own would.
				result.then(response => {
					if (response instanceof Response) {
						lend(response, method, timeout);
					}
				}, noop);
				return original(...args);
			};
		}
	}

	return result;
};

const noop = (): void => undefined;

type ParseJson = NonNullable<Options['parseJson']>;

/**
The client's `parseJson`, bounded by `timeout` when it parses an error body, as ky bounds it: ky reads
and parses an error body for `HTTPError#data` within the call's `timeout`, and the wrapped client hands
ky `timeout: false`. A parse that takes longer gives `data: undefined`, as with ky. Success bodies are
parsed as ky parses them, unbounded but for `totalTimeout`.
*/
export const boundErrorParse = (parseJson: ParseJson, ms: number): ParseJson => (text, context) => {
	if (context.response.ok) {
		return parseJson(text, context);
	}

	let timer: ReturnType<typeof setTimeout> | undefined;
	return Promise.race([
		Promise.resolve(parseJson(text, context)),
		new Promise<never>((_resolve, reject) => {
			timer = setTimeout(() => {
				reject(new TimeoutError(context.request));
			}, Math.min(ms, maxTimer));
		}),
	]).finally(() => {
		clearTimeout(timer);
	});
};
