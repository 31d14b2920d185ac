import type {BackoffCurve, Jitter} from './backoff.js';
import {policyKeys, type PolicyKey} from './catalog.js';
import {expectKnownKeys, expectPlainObject} from './option-object.js';
import {fail, suggest} from './validate.js';

/**
How one kind of failure is retried.
*/
export type CodePolicy = {
	/**
	How many times a failure with this code is retried within one call (retries, not attempts).
	*/
	readonly retries?: number;
	/**
	The first backoff delay in milliseconds. A `Retry-After` from the server replaces backoff for that wait.
	*/
	readonly minDelay?: number;
	/**
	The largest backoff delay in milliseconds. It never shortens a server's `Retry-After`.
	*/
	readonly maxDelay?: number;
	/**
	How much each backoff delay grows over the one before. At least 1.
	*/
	readonly factor?: number;
	/**
	How the backoff delay is randomised: `'full'` (0 to the delay), `'equal'` (half to all of it) or `'none'`.
	*/
	readonly jitter?: Jitter;
};

/**
A policy as a user writes it: `false` (never retry), a number (that many retries, other settings as default), or a partial `CodePolicy`.
*/
export type CodePolicyInput = false | number | CodePolicy;

/**
Per-code overrides. Unset keys keep their defaults.

@example
```
const policy: PolicyInput = {
	EXECUTION_FAILED: {retries: 5, maxDelay: 20_000},
	PROVIDER_RESPONSE_INCOMPLETE: false,
	NETWORK_ERROR: 2,
};
```
*/
export type PolicyInput = Partial<Record<PolicyKey, CodePolicyInput>>;

/**
A resolved policy for one key: `false` or every setting filled in.
*/
export type ResolvedCodePolicy = false | (BackoffCurve & {readonly retries: number});

/**
Resolved policies for every key.
*/
export type ResolvedPolicy = Readonly<Record<PolicyKey, ResolvedCodePolicy>>;

/** The backoff shared by provider failures, server errors and network errors: 500 ms doubling to 8 s, full jitter. */
const providerBackoff = {minDelay: 500, maxDelay: 8000, factor: 2, jitter: 'full'} as const;

/**
The curve a retryable setting starts from when its key has no default of its own (a terminal code a user opts into retrying).
*/
export const fallbackPolicy = Object.freeze({retries: 3, ...providerBackoff});

/**
The default policy. Every documented code not listed is terminal.
*/
export const defaultPolicy: ResolvedPolicy = Object.freeze({
	...Object.fromEntries(policyKeys.map(key => [key, false])) as Record<PolicyKey, false>,
	// Used only when a 429 comes without a usable Retry-After; a valid one is always waited out exactly.
	RATE_LIMIT_EXCEEDED: Object.freeze({retries: 5, minDelay: 1000, maxDelay: 30_000, factor: 2, jitter: 'full'}),
	EXECUTION_FAILED: Object.freeze({retries: 3, ...providerBackoff}),
	// Applies only when `providerStatus` is 5xx or 429 (or missing); any other upstream 4xx is terminal.
	PROVIDER_SUBMIT_FAILED: Object.freeze({retries: 3, ...providerBackoff}),
	PROVIDER_RESPONSE_INCOMPLETE: Object.freeze({retries: 2, ...providerBackoff}),
	SERVER_ERROR: Object.freeze({retries: 3, ...providerBackoff}),
	NETWORK_ERROR: Object.freeze({retries: 3, ...providerBackoff}),
	TIMEOUT: Object.freeze({retries: 2, ...providerBackoff}),
});

const jitters: readonly Jitter[] = ['full', 'equal', 'none'];
const codePolicyKeys: readonly string[] = ['retries', 'minDelay', 'maxDelay', 'factor', 'jitter'];

const checkDelay = (name: string, value: unknown): void => {
	if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
		fail(name, 'a finite, non-negative number of milliseconds', value);
	}
};

const resolveOne = (key: PolicyKey, input: unknown): ResolvedCodePolicy => {
	const name = `policy.${key}`;
	if (input === false) {
		return false;
	}

	const base = defaultPolicy[key] || fallbackPolicy;
	const overrides: unknown = typeof input === 'number' ? {retries: input} : input;
	expectPlainObject(name, overrides, '`false`, a number of retries, or an object');
	expectKnownKeys(name, overrides, codePolicyKeys, 'a known setting');

	// `undefined` overrides are ignored, so spreading a partly filled object keeps the defaults.
	const defined = Object.fromEntries(Object.entries(overrides).filter(([, value]) => value !== undefined));
	const resolved: Record<keyof CodePolicy, unknown> = {...base, ...defined};
	if (typeof resolved.retries !== 'number' || !Number.isSafeInteger(resolved.retries) || resolved.retries < 0) {
		fail(`${name}.retries`, 'a non-negative integer', resolved.retries);
	}

	checkDelay(`${name}.minDelay`, resolved.minDelay);
	checkDelay(`${name}.maxDelay`, resolved.maxDelay);
	if ((resolved.minDelay as number) > (resolved.maxDelay as number)) {
		fail(`${name}.minDelay`, `at most \`${name}.maxDelay\` (${resolved.maxDelay as number})`, resolved.minDelay);
	}

	if (typeof resolved.factor !== 'number' || !Number.isFinite(resolved.factor) || resolved.factor < 1) {
		fail(`${name}.factor`, 'a finite number of at least 1', resolved.factor);
	}

	if (!(jitters as readonly unknown[]).includes(resolved.jitter)) {
		fail(`${name}.jitter`, `one of ${jitters.map(j => `'${j}'`).join(', ')}`, resolved.jitter);
	}

	return Object.freeze(resolved) as ResolvedCodePolicy;
};

/**
Merges user overrides onto the default policy, validating every value.

@throws {TypeError} Naming the option, for unknown keys and invalid values.
*/
export const resolvePolicy = (input: unknown): ResolvedPolicy => {
	if (input === undefined) {
		return defaultPolicy;
	}

	expectPlainObject('policy', input, 'an object keyed by error code');

	const resolved: Record<PolicyKey, ResolvedCodePolicy> = {...defaultPolicy};
	for (const [key, value] of Object.entries(input)) {
		if (!(policyKeys as readonly string[]).includes(key)) {
			fail(`policy.${key}`, 'a documented Knouds code, `NETWORK_ERROR`, `TIMEOUT` or `SERVER_ERROR`', key, `is not a known code${suggest(key, policyKeys)}`);
		}

		if (value !== undefined) {
			resolved[key as PolicyKey] = resolveOne(key as PolicyKey, value);
		}
	}

	return Object.freeze(resolved);
};
