import isNetworkError from 'is-network-error';
import pRetry, {AbortError} from 'p-retry';
import type {PolicyKey} from './catalog.js';
import {decide, type StopReason} from './decide.js';
import {parseErrorBody, type ErrorBody} from './error-body.js';
import {KnoudsError} from './errors/knouds-error.js';
import {failedBeforeSend, policyKeyOf, type Failure} from './failure.js';
import type {FetchLike, ResolvedOptions} from './options.js';
import {readBodyText, errorBodyLimit, errorBodyTimeout} from './read-body.js';
import {redactRequest} from './redact.js';
import {prepareRequest, type PreparedRequest} from './replay.js';
import {parseRetryAfter} from './retry-after.js';
import {sleep} from './sleep.js';

/**
What one call runs with, fixed when it starts.
*/
export type CallSettings = {
	readonly fetch: FetchLike;
	/** Bounds each attempt until its response headers arrive, in milliseconds. */
	readonly attemptTimeout: number | undefined;
	/** When the whole call, waits included, must end; milliseconds since the epoch. */
	readonly deadline: number | undefined;
	/** Counts the requests the call has sent, across engine runs (ky's forced retries start new runs). */
	readonly sent: {count: number};
};

/**
How a call ended, kept beside its final response or error for the adapters to build errors from.
*/
export type Outcome = {
	readonly attempts: number;
	readonly parsed: ErrorBody | undefined;
	readonly retryAfterMs: number | undefined;
	readonly stopReason: StopReason | undefined;
	readonly request: Request;
	/** Whether a timeout error came from the total timeout rather than the attempt timeout. */
	readonly timeout: 'attempt' | 'total' | undefined;
};

const outcomes = new WeakMap<object, Outcome>();

/**
How the call that produced this final response or error ended, if it went through the engine.
*/
export const outcomeOf = (value: unknown): Outcome | undefined =>
	typeof value === 'object' && value !== null ? outcomes.get(value) : undefined;

// setTimeout fires at once for delays past 2^31 - 1 ms, which would turn a long wait into a busy loop.
const maxTimer = 2_147_483_647;

class AttemptFailure extends Error {
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

	/** The error users see: a KnoudsError for an HTTP failure, else the network or timeout error. */
	publicError(request: PreparedRequest, attempts: number): Error {
		// An AttemptFailure has either a cause (network, timeout) or a response (HTTP).
		this.#error ??= this.cause ?? new KnoudsError(this.response as Response, {
			body: this.parsed?.body,
			truncated: this.parsed?.truncated ?? false,
			request: redactRequest(request.url, request.method, request.headers),
			attempts,
			retryAfterMs: this.failure.kind === 'http' ? this.failure.retryAfterMs : undefined,
		});
		return this.#error;
	}
}

const toError = (value: unknown): Error => value instanceof Error ? value : new Error(String(value));

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
	const failure: Failure = {
		kind: 'http',
		status: response.status,
		code: parsed.code,
		retryAfterMs: parseRetryAfter(response.headers.get('retry-after'), now, response.headers.get('date')),
		providerStatus: parsed.context.providerStatus,
	};
	return new AttemptFailure(failure, response, parsed, undefined);
};

const timeoutFailure = (kind: 'attempt' | 'total'): AttemptFailure => {
	const error = new DOMException(kind === 'total' ? 'The call\'s total timeout ran out.' : 'The attempt timed out.', 'TimeoutError');
	return new AttemptFailure({kind: 'timeout'}, undefined, undefined, error, kind);
};

const isResponse = (value: unknown): value is Response =>
	value instanceof Response || Object.prototype.toString.call(value) === '[object Response]';

// Sends one attempt within the limit, even through a fetch that ignores its signal.
const send = async (request: PreparedRequest, call: CallSettings, limit: {ms: number; kind: 'attempt' | 'total'} | undefined): Promise<unknown> => {
	const [input, init] = request.next();
	if (limit === undefined) {
		return call.fetch(input, init);
	}

	const controller = new AbortController();
	let timer: ReturnType<typeof setTimeout> | undefined;
	const expired = new Promise<never>((_resolve, reject) => {
		timer = setTimeout(() => {
			const failure = timeoutFailure(limit.kind);
			controller.abort(failure.cause);
			reject(failure);
		}, Math.min(limit.ms, maxTimer));
	});
	try {
		const signal = request.signal ? AbortSignal.any([request.signal, controller.signal]) : controller.signal;
		// On the Request too: a custom fetch (ky's, say) may read the signal from there and ignore init.
		const pending = call.fetch(typeof input === 'string' || input instanceof URL ? input : new Request(input, {signal}), {...init, signal});
		// A response that arrives after the timeout is never read: free its connection.
		pending.then(response => {
			if (controller.signal.aborted && isResponse(response)) {
				response.body?.cancel().catch(() => undefined);
			}
		}, () => undefined);
		return await Promise.race([pending, expired]);
	} finally {
		clearTimeout(timer);
	}
};

const runAttempt = async (request: PreparedRequest, call: CallSettings): Promise<Response> => {
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

/**
Runs one fetch call with retries: attempts, classifies each failure, asks `decide()`, waits, and
resolves with the final response (body unread) or rejects with the final network or timeout error.
*/
export const execute = async (options: ResolvedOptions, input: string | URL | Request, init: RequestInit | undefined, call: CallSettings): Promise<Response> => {
	const request = prepareRequest(input, init);
	const retriesByKey = new Map<PolicyKey | undefined, number>();
	const statusOf = (failure: Failure): number | undefined => failure.kind === 'http' ? failure.status : undefined;

	const shouldRetry = async (failure: AttemptFailure, attempt: number): Promise<boolean> => {
		const key = policyKeyOf(failure.failure);
		const retriesSoFar = retriesByKey.get(key) ?? 0;
		const base = {
			failure: failure.failure,
			method: request.method,
			retriesSoFar,
			policy: options.policy,
			idempotentMethods: options.idempotentMethods,
			maxRetryAfter: options.maxRetryAfter,
			deadline: call.deadline,
			random: options.random,
		};
		let decision = decide({...base, now: Date.now()});
		const facts = {attempt, code: key, status: statusOf(failure.failure), method: request.method, url: request.url};
		if (options.shouldRetry) {
			const verdict = await options.shouldRetry(Object.freeze({...facts, error: failure.publicError(request, call.sent.count), decision}));
			// Decided again even for `undefined`: the callback took time, and the deadline may now be nearer.
			decision = decide({...base, now: Date.now(), force: typeof verdict === 'boolean' ? verdict : undefined});
		}

		if (!decision.retry) {
			failure.stopReason = decision.reason;
			return false;
		}

		// The retried response is not needed any more (its body is already parsed): free its connection
		// before user code runs, so that an onRetry that throws cannot hold it.
		failure.response?.body?.cancel().catch(() => undefined);
		retriesByKey.set(decision.key, retriesSoFar + 1);
		options.onRetry?.(Object.freeze({...facts, delay: decision.delay, source: decision.source, error: failure.publicError(request, call.sent.count)}));
		await sleep(Math.min(decision.delay, maxTimer), request.signal);
		return true;
	};

	try {
		return await pRetry(async () => runAttempt(request, call), {
			retries: Number.POSITIVE_INFINITY,
			// Delays are decided per failure and slept in shouldRetry; p-retry's own curve stays at zero.
			minTimeout: 0,
			signal: request.signal,
			shouldRetry: async ({error, attemptNumber}) => error instanceof AttemptFailure && shouldRetry(error, attemptNumber),
		});
	} catch (error) {
		if (!(error instanceof AttemptFailure)) {
			throw error;
		}

		const outcome: Outcome = {
			attempts: call.sent.count,
			parsed: error.parsed,
			retryAfterMs: error.failure.kind === 'http' ? error.failure.retryAfterMs : undefined,
			stopReason: error.stopReason,
			request: redactRequest(request.url, request.method, request.headers),
			timeout: error.timeout,
		};
		const final = error.response ?? error.cause;
		if (final !== undefined) {
			outcomes.set(final, outcome);
		}

		if (error.response) {
			return error.response;
		}

		throw error.cause ?? error;
	}
};
