import {backoffDelay} from './backoff.js';
import type {PolicyKey} from './catalog.js';
import {policyKeyOf, type Failure} from './failure.js';
import {fallbackPolicy, type ResolvedPolicy} from './policy.js';

/**
Why a call stopped retrying.

- `terminal`: the failure is not retryable under the policy.
- `retries-exhausted`: the policy's `retries` for that code are used up.
- `retry-after-too-long`: the server asked for a wait longer than `maxRetryAfter`.
- `total-timeout`: the next wait would cross the call's total timeout.
- `not-idempotent`: a network error or timeout that may have reached the server, on a method that is not safe to resend.
- `should-retry`: the `shouldRetry` option said no.
- `retry-budget`: the client's retry budget was empty (too many retries against too few successes lately).
- `latched`: no request was sent: an earlier call with the same key met this error, which holds (see the `latch` option).
*/
export type StopReason = 'terminal' | 'retries-exhausted' | 'retry-after-too-long' | 'total-timeout' | 'not-idempotent' | 'should-retry' | 'retry-budget' | 'latched';

/**
Where a wait came from: the server's `Retry-After`, or the policy's backoff curve.
*/
export type DelaySource = 'retry-after' | 'backoff';

/**
What to do after a failed attempt.
*/
export type Decision =
	| {readonly retry: true; readonly delay: number; readonly source: DelaySource; readonly key: PolicyKey | undefined}
	| {readonly retry: false; readonly reason: StopReason; readonly key: PolicyKey | undefined};

/**
Everything the decision depends on, as plain values.
*/
export type DecideInput = {
	readonly failure: Failure;
	/** The request method, upper-case. */
	readonly method: string;
	/** Retries already made in this call for the failure's policy key. */
	readonly retriesSoFar: number;
	readonly policy: ResolvedPolicy;
	readonly idempotentMethods: ReadonlySet<string>;
	readonly maxRetryAfter: number;
	/** Milliseconds since the epoch. */
	readonly now: number;
	/** When the call's total timeout runs out, in milliseconds since the epoch. */
	readonly deadline: number | undefined;
	readonly random: () => number;
	/** A `shouldRetry` verdict: `true` forces a retry, `false` stops, `undefined` leaves it to the policy. */
	readonly force?: boolean | undefined;
};

const mayHaveReachedServer = (failure: Failure): boolean =>
	failure.kind === 'timeout' || (failure.kind === 'network' && !failure.beforeSend);

const policyStop = (input: DecideInput, key: PolicyKey | undefined): Decision | undefined => {
	const {failure} = input;
	const policy = key === undefined ? false : input.policy[key];
	if (policy === false) {
		return {retry: false, reason: 'terminal', key};
	}

	// The provider rejected the submission itself; resending the same one will be rejected again.
	if (key === 'PROVIDER_SUBMIT_FAILED' && failure.kind === 'http' && failure.providerStatus !== undefined
		&& failure.providerStatus < 500 && failure.providerStatus !== 429) {
		return {retry: false, reason: 'terminal', key};
	}

	if (mayHaveReachedServer(failure) && !input.idempotentMethods.has(input.method)) {
		return {retry: false, reason: 'not-idempotent', key};
	}

	if (input.retriesSoFar >= policy.retries) {
		return {retry: false, reason: 'retries-exhausted', key};
	}

	return undefined;
};

/**
Decides whether and when to retry a failed attempt. Pure: no clock, no I/O, no randomness of its own.
*/
export const decide = (input: DecideInput): Decision => {
	const {failure, force} = input;
	const key = policyKeyOf(failure);
	if (force === false) {
		return {retry: false, reason: 'should-retry', key};
	}

	if (force !== true) {
		const stop = policyStop(input, key);
		if (stop) {
			return stop;
		}
	}

	let delay: number;
	let source: DelaySource;
	if (failure.kind === 'http' && failure.retryAfterMs !== undefined) {
		// A server-given wait is honoured exactly: never shortened, never jittered.
		if (failure.retryAfterMs > input.maxRetryAfter && force !== true) {
			return {retry: false, reason: 'retry-after-too-long', key};
		}

		delay = failure.retryAfterMs;
		source = 'retry-after';
	} else {
		const curve = (key === undefined ? false : input.policy[key]) || fallbackPolicy;
		delay = backoffDelay(curve, input.retriesSoFar, input.random);
		source = 'backoff';
	}

	// The total timeout is a hard bound, even for a forced retry: fail now rather than sleep past it.
	if (input.deadline !== undefined && input.now + delay >= input.deadline) {
		return {retry: false, reason: 'total-timeout', key};
	}

	return {retry: true, delay, source, key};
};
