import isNetworkError from 'is-network-error';
import {AbortError} from 'p-retry';
import type {StopReason} from './decide.js';
import {parseErrorBody, type ErrorBody} from './error-body.js';
import {KnoudsError, type KnoudsErrorInit} from './errors/knouds-error.js';
import {failedBeforeSend, type Failure} from './failure.js';
import type {FetchLike} from './options.js';
import {readBodyText, errorBodyLimit, errorBodyTimeout} from './read-body.js';
import type {PreparedRequest} from './replay.js';
import {parseRetryAfter} from './retry-after.js';
import {maxTimer} from './sleep.js';

/**
What one call runs with, fixed when it starts.
*/
export type CallSettings = {
	readonly fetch: FetchLike;
	/** Whether `fetch` is the platform's, which takes its signal from `init`: then no Request needs rebuilding to carry one. */
	readonly platformFetch: boolean;
	/** Bounds each attempt until its response headers arrive, in milliseconds. */
	readonly attemptTimeout: number | undefined;
	/** When the whole call, waits included, must end; milliseconds since the epoch. */
	readonly deadline: number | undefined;
	/** Counts the requests the call has sent, across engine runs (ky's forced retries start new runs). */
	readonly sent: {count: number};
	/** Whether the caller turned retries off (ky's `retry: 0`): only a retry `shouldRetry` forces is sent. Asked at a failure. */
	readonly retriesOff: () => boolean;
	/** Whether the request's signal lives only as long as the call (ky's own), so that a listener on it cannot pile up. */
	readonly signalPerCall: boolean;
	/**
	The controller of the attempt whose response came last, when this layer held one: aborting it stops
	the network read of that response's body, which has locked its stream so that it cannot be cancelled.
	*/
	readonly answered: {controller: AbortController | undefined};
};

/**
One failed attempt: the plain failure for decide(), and the response or error behind it.
*/
export class AttemptFailure extends Error {
	stopReason: StopReason | undefined;
	#error: Error | undefined;

	constructor(
		readonly failure: Failure,
		readonly response: Response | undefined,
		readonly parsed: ErrorBody | undefined,
		override readonly cause: Error | undefined,
		readonly timeout?: 'attempt' | 'total',
	) {
		super('attempt failed');
	}

	/** What a KnoudsError for this failure is made from. */
	errorInit(request: Request, attempts: number): KnoudsErrorInit {
		return {
			body: this.parsed?.body,
			truncated: this.parsed?.truncated ?? false,
			request,
			attempts,
			retryAfterMs: this.failure.kind === 'http' ? this.failure.retryAfterMs : undefined,
			stopReason: this.stopReason,
		};
	}

	/** The error users see: a KnoudsError for an HTTP failure, else the network or timeout error. */
	publicError(request: Request, attempts: number): Error {
		// An AttemptFailure has either a cause (network, timeout) or a response (HTTP).
		this.#error ??= this.cause ?? new KnoudsError(this.response as Response, this.errorInit(request, attempts));
		return this.#error;
	}
}

// What a custom fetch threw that was not an Error (a string, say), by the Error that carries it through
// p-retry: the call rejects with the value itself, as fetch and ky would.
const thrownValues = new WeakMap<Error, unknown>();

const describe = (value: unknown): string => {
	try {
		return String(value);
	} catch {
		return 'a value that is not an Error';
	}
};

const toError = (value: unknown): Error => {
	if (value instanceof Error) {
		return value;
	}

	const error = new Error(describe(value));
	thrownValues.set(error, value);
	return error;
};

/** What was really thrown, for an Error that only carries a non-Error a custom fetch threw. */
export const thrownValue = (error: unknown): unknown => error instanceof Error && thrownValues.has(error) ? thrownValues.get(error) : error;

const attemptLimit = (call: CallSettings, now: number): {ms: number; kind: 'attempt' | 'total'} | undefined => {
	const total = call.deadline === undefined ? undefined : call.deadline - now;
	if (total !== undefined && (call.attemptTimeout === undefined || total <= call.attemptTimeout)) {
		return {ms: Math.max(0, total), kind: 'total'};
	}

	return call.attemptTimeout === undefined ? undefined : {ms: call.attemptTimeout, kind: 'attempt'};
};

const classifyResponse = async (response: Response, request: PreparedRequest, call: CallSettings): Promise<AttemptFailure> => {
	const now = Date.now();
	const budget = Math.min(errorBodyTimeout, call.attemptTimeout ?? errorBodyTimeout, call.deadline === undefined ? errorBodyTimeout : call.deadline - now);
	let read = {text: '', truncated: false};
	try {
		read = await readBodyText(response.clone(), errorBodyLimit, Math.max(0, budget), request.signal);
	} catch {
		// A body that was already used cannot be cloned: classify by status alone.
	}

	const parsed = parseErrorBody(read.text, read.truncated);
	// A body cut short (it stalled, broke off or passed the limit) is handed on as what was read, so that
	// nothing after this layer (ky's own error handling, the caller) waits on the rest again.
	const final = read.truncated ? readAgain(response, read.text) : response;
	const failure: Failure = {
		kind: 'http',
		status: response.status,
		code: parsed.code,
		retryAfterMs: parseRetryAfter(response.headers.get('retry-after'), now, response.headers.get('date')),
		providerStatus: parsed.context.providerStatus,
	};
	return new AttemptFailure(failure, final, parsed, undefined);
};

// A copy of a failed response whose body is the text already read; the original's is cancelled.
const readAgain = (response: Response, text: string): Response => {
	response.body?.cancel().catch(() => undefined);
	const copy = new Response(text, {status: response.status, statusText: response.statusText, headers: response.headers});
	// The URL is not an init field; keep it, since errors and hooks name it.
	Object.defineProperty(copy, 'url', {value: response.url});
	return copy;
};

/** The failure of an attempt that ran out of time, or of a call whose total timeout ran out before it. */
export const timeoutFailure = (kind: 'attempt' | 'total'): AttemptFailure => {
	const error = new DOMException(kind === 'total' ? 'The call\'s total timeout ran out.' : 'The attempt timed out.', 'TimeoutError');
	return new AttemptFailure({kind: 'timeout'}, undefined, undefined, error, kind);
};

const isResponse = (value: unknown): value is Response =>
	value instanceof Response || Object.prototype.toString.call(value) === '[object Response]';

// Sends one attempt within the limit, and gives up on it at the caller's abort, even through a fetch that
// ignores its signal. The timer and the abort reject the attempt itself rather than racing a second
// promise: no more is kept alive while the request is in flight.
const sendWithin = (input: string | URL | Request, init: RequestInit | undefined, request: PreparedRequest, call: CallSettings, limit: {ms: number; kind: 'attempt' | 'total'} | undefined): Promise<unknown> => {
	const controller = new AbortController();
	const {signal} = controller;
	return new Promise((resolve, reject) => {
		let timer: ReturnType<typeof setTimeout> | undefined;
		// The caller's abort reaches the attempt through the same controller: a listener costs far less than
		// AbortSignal.any, which every attempt would pay for on the success path.
		const forward = (): void => {
			settle();
			controller.abort(request.signal?.reason);
			// The reason as given, whatever it is, as the platform's fetch rejects with it.
			reject(request.signal?.reason as Error);
		};

		const settle = (): void => {
			clearTimeout(timer);
			request.signal?.removeEventListener('abort', forward);
		};

		// Once the headers are in, the caller's abort must still stop the body's transfer, as it does with
		// fetch. ky's signal lives as long as its call, so the listener stays on it; another signal (an
		// application's, used for many calls) would gather one listener a call, so it is joined instead.
		const answered = (): void => {
			clearTimeout(timer);
			if (!call.signalPerCall) {
				request.signal?.removeEventListener('abort', forward);
			}
		};

		if (request.signal?.aborted === true) {
			forward();
			return;
		}

		request.signal?.addEventListener('abort', forward, {once: true});
		if (limit !== undefined) {
			// Settles at once, leaving nothing on the caller's signal even if a custom fetch never answers.
			timer = setTimeout(() => {
				settle();
				const failure = timeoutFailure(limit.kind);
				controller.abort(failure.cause);
				reject(failure);
			}, Math.min(limit.ms, maxTimer));
		}

		let pending: unknown;
		try {
			// The Request goes to a custom fetch as it is, the very one ky's hooks and parseJson see; the
			// attempt's signal is in init.
			const joined = request.signal !== undefined && !call.signalPerCall ? AbortSignal.any([request.signal, signal]) : signal;
			pending = call.fetch(input, {...init, signal: joined});
		} catch (error) {
			settle();
			reject(toError(error));
			return;
		}

		Promise.resolve(pending).then(response => {
			answered();
			if (isResponse(response)) {
				// A response that arrives after the timeout or an abort is never read: free its connection.
				if (signal.aborted) {
					response.body?.cancel().catch(() => undefined);
				} else {
					// The last answer's controller, so that a read of its body can be stopped (ky's body timeout).
					call.answered.controller = controller;
				}
			}

			resolve(response);
		}, (error: unknown) => {
			settle();
			reject(toError(error));
		});
	});
};

// Sends one attempt: straight to fetch when nothing of this layer must watch it (no limit, and a fetch
// that honours the caller's signal or no signal to honour), so that nothing waits with it. May throw at
// once (a custom fetch that throws), which the caller's try takes as it takes a rejection.
const send = (request: PreparedRequest, call: CallSettings, limit: {ms: number; kind: 'attempt' | 'total'} | undefined): unknown => {
	const [input, init] = request.next();
	return limit === undefined && (call.platformFetch || request.signal === undefined) ? call.fetch(input, init) : sendWithin(input, init, request, call, limit);
};

/**
Sends one attempt and classifies its outcome: resolves with a response below 400, throws an
`AttemptFailure` for a failure worth deciding on, or p-retry's `AbortError` for one that is not.
*/
export const runAttempt = async (request: PreparedRequest, call: CallSettings): Promise<Response> => {
	const limit = attemptLimit(call, Date.now());
	if (limit !== undefined && limit.ms <= 0) {
		// Nothing is sent once the total timeout has run out.
		throw timeoutFailure(limit.kind);
	}

	let response: unknown;
	try {
		call.sent.count++;
		response = await send(request, call, limit);
	} catch (error) {
		if (error instanceof AttemptFailure || request.signal?.aborted) {
			throw error;
		}

		if (isNetworkError(error)) {
			throw new AttemptFailure({kind: 'network', beforeSend: failedBeforeSend(error)}, undefined, undefined, error);
		}

		// Not a transport failure (an invalid URL, a bug in a custom fetch): retrying cannot help.
		throw new AbortError(toError(error));
	}

	if (!isResponse(response)) {
		throw new AbortError(new TypeError(`Expected \`fetch\` to resolve with a Response, got ${response === null ? 'null' : typeof response}.`));
	}

	if (response.status < 400) {
		return response;
	}

	throw await classifyResponse(response, request, call);
};

