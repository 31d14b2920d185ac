import pRetry from 'p-retry';
import {AttemptFailure, runAttempt, thrownValue, type CallSettings} from './attempt.js';
import {admitted} from './admission.js';
import type {PolicyKey} from './catalog.js';
import {decide} from './decide.js';
import type {KnoudsErrorInit} from './errors/knouds-error.js';
import {explain, notResentText} from './errors/message.js';
import {policyKeyOf, type Failure} from './failure.js';
import type {ResolvedOptions} from './options.js';
import {redactError} from './redact-error.js';
import {redactUrl} from './redact-url.js';
import {redactRequest} from './redact.js';
import {prepareRequest, type PreparedRequest} from './replay.js';
import {secretsOfCall} from './secret-values.js';
import {sleep} from './sleep.js';

export type {CallSettings} from './attempt.js';

/**
How a call ended, kept beside its final response or error for the adapters to build errors from.
*/
export type Outcome = {
	/** What the final KnoudsError is made from: body, redacted request, attempts, Retry-After, stop reason. */
	readonly init: KnoudsErrorInit;
	/** Whether a timeout error came from the total timeout rather than the attempt timeout. */
	readonly timeout: 'attempt' | 'total' | undefined;
};

const outcomes = new WeakMap<object, Outcome>();

/**
How the call that produced this final response or error ended, if it went through the engine.
*/
export const outcomeOf = (value: unknown): Outcome | undefined =>
	typeof value === 'object' && value !== null ? outcomes.get(value) : undefined;

/**
Runs one fetch call with retries: attempts, classifies each failure, asks `decide()`, waits, and
resolves with the final response (body unread) or rejects with the final network or timeout error.

The first attempt runs on its own, so that a call that succeeds at once costs no more than it must:
p-retry is entered at the first failure, which its first run hands back to it, so every failure is
decided by p-retry alike.

Whatever it rejects with has the call's credentials redacted (see `redactError`): fetch refuses a key
pasted with a newline by quoting it.
*/
export const execute = async (options: ResolvedOptions, input: string | URL | Request, init: RequestInit | undefined, call: CallSettings): Promise<Response> => {
	// Read from the arguments as given, and only once something failed: the success path pays nothing.
	const secrets = (): string[] => secretsOfCall(input, init);
	let request: PreparedRequest;
	try {
		request = prepareRequest(input, init);
		// As p-retry does around each attempt: nothing is sent for a call aborted already, and an abort that
		// lands while the answer arrives wins over it.
		request.signal?.throwIfAborted();
	} catch (error) {
		throw redactError(error, secrets());
	}

	let first: unknown;
	try {
		const response = await admitted(options, request, call, runAttempt);
		request.signal?.throwIfAborted();
		request.release();
		return response;
	} catch (error) {
		first = error;
	}

	try {
		return await retry(options, request, call, first, secrets);
	} catch (error) {
		throw redactError(error, secrets());
	} finally {
		request.release();
	}
};

// From the first failure on: p-retry's loop, whose first run rethrows that failure.
const retry = async (options: ResolvedOptions, request: PreparedRequest, call: CallSettings, firstFailure: unknown, secrets: () => string[]): Promise<Response> => {
	const retriesByKey = new Map<PolicyKey | undefined, number>();
	const statusOf = (failure: Failure): number | undefined => failure.kind === 'http' ? failure.status : undefined;
	// Redacted once per call, and only when a failure needs it.
	let redacted: Request | undefined;
	const safeRequest = (): Request => (redacted ??= redactRequest(request.url, request.method, request.headers));
	// Callbacks see the failure's error with the call's credentials redacted, as the caller would.
	const publicError = (failure: AttemptFailure): Error => redactError(failure.publicError(safeRequest(), call.sent.count), secrets()) as Error;

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
		let forced = false;
		const facts = {attempt, code: key, status: statusOf(failure.failure), method: request.method, url: redactUrl(request.url)};
		if (options.shouldRetry) {
			const verdict = await options.shouldRetry(Object.freeze({...facts, error: publicError(failure), decision}));
			// Decided again even for `undefined`: the callback took time, and the deadline may now be nearer.
			decision = decide({...base, now: Date.now(), force: typeof verdict === 'boolean' ? verdict : undefined});
			forced = verdict === true;
		}

		if (!decision.retry) {
			failure.stopReason = decision.reason;
			return false;
		}

		if (!forced && call.retriesOff()) {
			failure.stopReason = 'retries-exhausted';
			return false;
		}

		// A wait for the server's Retry-After adds no load (the gate holds every request meanwhile); other retries cost budget.
		// A retry forced by shouldRetry is the caller's explicit choice, and is not refused.
		if (decision.source === 'backoff' && !forced && !await options.coordinator.spend()) {
			failure.stopReason = 'retry-budget';
			return false;
		}

		// The retried response is not needed any more (its body is already parsed): free its connection
		// before user code runs, so that an onRetry that throws cannot hold it.
		failure.response?.body?.cancel().catch(() => undefined);
		retriesByKey.set(decision.key, retriesSoFar + 1);
		options.onRetry?.(Object.freeze({...facts, delay: decision.delay, source: decision.source, error: publicError(failure)}));
		await sleep(decision.delay, request.signal);
		return true;
	};

	try {
		let replayed = false;
		return await pRetry(async () => {
			if (!replayed) {
				replayed = true;
				throw firstFailure;
			}

			return admitted(options, request, call, runAttempt);
		}, {
			retries: Number.POSITIVE_INFINITY,
			// Delays are decided per failure and slept in shouldRetry; p-retry's own curve stays at zero.
			minTimeout: 0,
			signal: request.signal,
			// A failure the admission already settled (a latch, a gate too long) is final.
			shouldRetry: async ({error, attemptNumber}) => error instanceof AttemptFailure && error.stopReason === undefined && shouldRetry(error, attemptNumber),
		});
	} catch (error) {
		if (!(error instanceof AttemptFailure)) {
			throw thrownValue(error);
		}

		const outcome: Outcome = {init: error.errorInit(safeRequest(), call.sent.count), timeout: error.timeout};
		const final = error.response ?? error.cause;
		if (final !== undefined) {
			outcomes.set(final, outcome);
		}

		if (error.response) {
			return error.response;
		}

		// Only a timeout error of this layer's own says why it was not resent: the platform's network errors
		// keep their message, which other layers (ky, is-network-error) match exactly to recognise them.
		if (error.timeout !== undefined && error.cause !== undefined && error.stopReason === 'not-idempotent') {
			explain(error.cause, notResentText(request.method));
		}

		throw error.cause ?? error;
	}
};
