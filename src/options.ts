import type {PolicyKey} from './catalog.js';
import {createCoordinator, type Coordinator} from './coordination/coordinator.js';
import {coordinationOptionKeys, resolveCoordination, type CoordinationOptions} from './coordination/options.js';
import type {Decision, DelaySource} from './decide.js';
import {didYouMean} from './did-you-mean.js';
import {expectPlainObject} from './option-object.js';
import {resolvePolicy, type PolicyInput, type ResolvedPolicy} from './policy.js';
import {fail} from './validate.js';

/**
A function with fetch's signature.
*/
export type FetchLike = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/**
What `onRetry` receives before each wait. Frozen.
*/
export type RetryEvent = {
	/** The 1-based number of the attempt that failed. */
	readonly attempt: number;
	/** How long the call waits before the next attempt, in milliseconds. */
	readonly delay: number;
	/** Whether the wait is the server's `Retry-After` or the policy's backoff. */
	readonly source: DelaySource;
	/** The policy key of the failure: its Knouds code, or `NETWORK_ERROR`, `TIMEOUT`, `SERVER_ERROR`. `undefined` for a retry forced by `shouldRetry` on a failure with no policy. */
	readonly code: PolicyKey | undefined;
	/** The HTTP status, or `undefined` for a network error or timeout. */
	readonly status: number | undefined;
	/** The failure: a `KnoudsError` for an HTTP failure, else the network or timeout error. */
	readonly error: Error;
	/** The request method, upper-case. */
	readonly method: string;
	/** The request URL. */
	readonly url: string;
};

/**
What `shouldRetry` receives after each failed attempt. Frozen.
*/
export type ShouldRetryContext = Omit<RetryEvent, 'delay' | 'source'> & {
	/** What the policy decided on its own. */
	readonly decision: Decision;
};

/**
Options shared by `knoudsRetry()` and `createKnoudsFetch()`.
*/
export type KnoudsRetryOptions = CoordinationOptions & {
	/**
	Per-code overrides of the default policy, keyed by Knouds code or `NETWORK_ERROR`, `TIMEOUT`, `SERVER_ERROR`.
	A value is `false` (never retry), a number of retries, or `{retries, minDelay, maxDelay, factor, jitter}`.
	@default {} (the default policy: see the README's table)
	@example {EXECUTION_FAILED: {retries: 5}, PROVIDER_RESPONSE_INCOMPLETE: false}
	*/
	readonly policy?: PolicyInput | undefined;
	/**
	The longest server-requested wait (`Retry-After`) the call sleeps through, in milliseconds. A longer
	one is neither slept through nor shortened: the call fails at once with a `KnoudsError` whose
	`retryAfterMs` says what the server asked, so the caller can requeue. `Infinity` waits for any.
	@default 60_000
	*/
	readonly maxRetryAfter?: number | undefined;
	/**
	Methods that are safe to send again after a network error or timeout that may have reached the
	server. Other methods (POST, PATCH) are resent after such a failure only when the connection failed
	before the request was sent. Knouds error codes such as EXECUTION_FAILED are retried for every
	method: the API says to. Add `'POST'` to opt in for calls you know are idempotent.
	@default ['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS']
	*/
	readonly idempotentMethods?: readonly string[] | undefined;
	/**
	Called before each wait, with what failed and how long the call waits. Errors it throws fail the call.
	@default undefined
	*/
	readonly onRetry?: ((event: RetryEvent) => void) | undefined;
	/**
	A three-valued override, asked after every failed attempt: `true` forces a retry (the total timeout
	still holds), `false` stops, `undefined` leaves it to the policy.
	@default undefined
	*/
	readonly shouldRetry?: ((context: ShouldRetryContext) => boolean | undefined | Promise<boolean | undefined>) | undefined;
	/**
	The random source for backoff jitter, returning numbers in [0, 1). Inject one for deterministic tests.
	@default Math.random
	*/
	readonly random?: (() => number) | undefined;
};

/**
Options resolved and validated once, when a client is created.
*/
export type ResolvedOptions = {
	readonly policy: ResolvedPolicy;
	readonly maxRetryAfter: number;
	readonly idempotentMethods: ReadonlySet<string>;
	readonly onRetry: ((event: RetryEvent) => void) | undefined;
	readonly shouldRetry: KnoudsRetryOptions['shouldRetry'];
	readonly random: () => number;
	/** The state this client's calls share. */
	readonly coordinator: Coordinator;
};

const sharedOptionKeys = {policy: true, maxRetryAfter: true, idempotentMethods: true, onRetry: true, shouldRetry: true, random: true, ...coordinationOptionKeys} as const satisfies {[K in keyof KnoudsRetryOptions]-?: true};

/** The methods resent by default after a failure that may have reached the server. */
export const defaultIdempotentMethods: readonly string[] = Object.freeze(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS']);

const optionalFunction = <T>(name: string, value: T): T => {
	if (value !== undefined && typeof value !== 'function') {
		fail(name, 'a function', value);
	}

	return value;
};

/**
Checks that an options object has only known keys.
*/
export const checkKeys = (options: object, known: Readonly<Record<string, true>>, where: string): void => {
	const names = Object.keys(known);
	for (const key of Object.keys(options)) {
		if (!Object.hasOwn(known, key)) {
			fail(key, `one of ${names.map(k => `\`${k}\``).join(', ')}`, key, `is not an option of ${where}${didYouMean(key, names)}`);
		}
	}
};

/**
Validates the shared options and fills in defaults.

@throws {TypeError} Naming the option, for unknown keys and invalid values.
*/
export const resolveOptions = (input: KnoudsRetryOptions, extraKeys: Readonly<Record<string, true>>, where: string): ResolvedOptions => {
	// Typed for callers, checked as what JavaScript callers may really pass.
	const options: unknown = input;
	expectPlainObject('options', options, 'an object');

	checkKeys(options, {...sharedOptionKeys, ...extraKeys}, where);
	const maxRetryAfter: unknown = input.maxRetryAfter ?? 60_000;
	if (typeof maxRetryAfter !== 'number' || Number.isNaN(maxRetryAfter) || maxRetryAfter < 0) {
		return fail('maxRetryAfter', 'a non-negative number of milliseconds (or Infinity)', maxRetryAfter);
	}

	const methods: unknown = input.idempotentMethods ?? defaultIdempotentMethods;
	if (!Array.isArray(methods) || methods.some(method => typeof method !== 'string')) {
		return fail('idempotentMethods', 'an array of method names', methods);
	}

	return Object.freeze({
		policy: resolvePolicy(input.policy),
		maxRetryAfter,
		idempotentMethods: new Set((methods as string[]).map(method => method.toUpperCase())),
		onRetry: optionalFunction('onRetry', input.onRetry),
		shouldRetry: optionalFunction('shouldRetry', input.shouldRetry),
		random: optionalFunction('random', input.random) ?? Math.random,
		coordinator: createCoordinator(resolveCoordination(input)),
	});
};

/**
Validates a timeout option: a positive number of milliseconds or `false`.
*/
export const resolveTimeout = (name: string, value: unknown): number | undefined => {
	if (value === undefined || value === false) {
		return undefined;
	}

	if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
		fail(name, 'a positive number of milliseconds or `false`', value);
	}

	return value;
};
