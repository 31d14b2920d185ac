import {expectKnownKeys, expectPlainObject} from '../option-object.js';
import {maxTimer} from '../sleep.js';
import {fail, isRecord} from '../validate.js';
import {resilientStore} from './resilient-store.js';
import {createMemoryStore, isMemoryStore} from './memory-store.js';
import type {KnoudsStore} from './store.js';

/**
Options for what the calls of one client share. Every call made through one wrapped client (and its
`.extend()`s), or through one `createKnoudsFetch()` function, shares this state.
*/
export type CoordinationOptions = {
	/**
	Share each `Retry-After` across the client's calls: once a 429 says wait, no request of the client
	is sent, retry or new call, until the wait has passed. The client also learns its limit from the
	429s: after each reset it sends the burst the server took at once, then paces the rest at a rate it
	learns (see docs/coordination.md, "The rate controller"). `false` turns both off.
	@default true
	*/
	readonly retryAfterGate?: boolean | undefined;
	/**
	Limits retries to a share of recent traffic: a bucket of `burst` tokens, each success earns `earn`
	token, each retry spends one. With the bucket empty a retryable failure ends the call at once, with
	`stopReason: 'retry-budget'`. Retries that wait out a 429's `Retry-After` are exempt: the gate already
	keeps them from adding load. `false` turns the budget off.
	@default {burst: 10, earn: 0.1}
	*/
	readonly retryBudget?: false | {readonly burst?: number | undefined; readonly earn?: number | undefined} | undefined;
	/**
	Errors that make later calls fail at once without touching the network. `deadKey` latches the
	codeless 401 and LEGACY_KEY_RETIRED for that credential at that origin, for good. `INSUFFICIENT_CREDITS` (per key) and
	`grant_exhausted` (per key and model) latch for the given milliseconds; they are off by default,
	since a top-up or an upgrade can come at any moment.
	@default {deadKey: true}
	@example {INSUFFICIENT_CREDITS: 60_000, grant_exhausted: 3_600_000}
	*/
	readonly latch?: {
		readonly deadKey?: boolean | undefined;
		readonly INSUFFICIENT_CREDITS?: number | undefined;
		readonly grant_exhausted?: number | undefined;
	} | undefined;
	/**
	Spaces the client's requests so that a client that knows its tier's limit never meets a 429.
	@default undefined (no pacing beyond what the gate learns)
	@example {requestsPerMinute: 600}
	*/
	readonly rateLimit?: {readonly requestsPerMinute: number} | undefined;
	/**
	Where the shared state lives. One in-memory store per client by default; pass one store to several
	clients to make them share, or `createRedisStore()` from `knouds-retry/redis` to share across
	processes.
	@default createMemoryStore()
	*/
	readonly store?: KnoudsStore | undefined;
	/**
	How long one store step may take, in milliseconds. One that fails or takes longer is reported to
	`onStoreError`, and the call carries on with the client's in-process state (or fails, with
	`failOnStoreError`); the store is asked again a second later. Not applied to `createMemoryStore()`'s
	stores, which answer at once.
	@default 1000
	*/
	readonly storeTimeout?: number | undefined;
	/**
	Called with a `KnoudsStoreError` for each store step that failed or timed out.
	@default undefined
	*/
	readonly onStoreError?: ((error: Error) => void) | undefined;
	/**
	Fail a call that cannot be admitted because the store failed, with that `KnoudsStoreError`, instead
	of carrying on with in-process state. A response already received is delivered either way.
	@default false
	*/
	readonly failOnStoreError?: boolean | undefined;
};

/** The coordination options, checked and with their defaults. */
export type ResolvedCoordination = {
	readonly gate: boolean;
	readonly budget: {readonly burst: number; readonly earn: number} | undefined;
	readonly latch: {readonly deadKey: boolean; readonly credits: number | undefined; readonly grant: number | undefined};
	readonly requestsPerMinute: number | undefined;
	readonly store: KnoudsStore;
	/** Whether store operations may hang or fail (any store but the built-in memory store's), so that waits on them need bounds. */
	readonly guarded: boolean;
};

/** Every coordination option, so that an unknown key is refused by name. */
export const coordinationOptionKeys = {retryAfterGate: true, retryBudget: true, latch: true, rateLimit: true, store: true, storeTimeout: true, onStoreError: true, failOnStoreError: true} as const satisfies {[K in keyof CoordinationOptions]-?: true};

const positive = (name: string, value: unknown, fallback: number | undefined, allowZero = false): number | undefined => {
	if (value === undefined) {
		return fallback;
	}

	if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (value === 0 && !allowZero)) {
		return fail(name, allowZero ? 'a non-negative number' : 'a positive number', value);
	}

	return value;
};

const resolveBudget = (value: unknown): ResolvedCoordination['budget'] => {
	if (value === false) {
		return undefined;
	}

	const budget = value ?? {};
	expectPlainObject('retryBudget', budget, '`false` or `{burst, earn}`');
	expectKnownKeys('retryBudget', budget, ['burst', 'earn'], 'a setting of `retryBudget`');

	return {burst: positive('retryBudget.burst', budget['burst'], 10, true) ?? 10, earn: positive('retryBudget.earn', budget['earn'], 0.1, true) ?? 0.1};
};

// The slowest pace a timer can keep: the pacer waits 60000 / requestsPerMinute ms between requests, and
// a timer cannot wait past 2^31 - 1 ms. Rounded up, so that the figure the message gives is accepted.
const slowestPace = Math.ceil(60_000 / maxTimer * 1e6) / 1e6;

const resolvePace = (value: unknown): number | undefined => {
	if (value === undefined) {
		return undefined;
	}

	expectPlainObject('rateLimit', value, '`{requestsPerMinute}`');
	expectKnownKeys('rateLimit', value, ['requestsPerMinute'], 'a setting of `rateLimit`');
	if (value['requestsPerMinute'] === undefined) {
		fail('rateLimit', '`{requestsPerMinute}`', value);
	}

	const perMinute = positive('rateLimit.requestsPerMinute', value['requestsPerMinute'], undefined);
	if (perMinute !== undefined && 60_000 / perMinute > maxTimer) {
		fail('rateLimit.requestsPerMinute', `a number of at least ${slowestPace} (one request every 24.8 days)`, perMinute,
			`is ${perMinute}, which spaces requests ${60_000 / perMinute} ms apart, longer than a timer can wait (${maxTimer} ms, about 24.8 days)`);
	}

	return perMinute;
};

/** Checks the coordination options and fills in defaults. */
export const resolveCoordination = (options: CoordinationOptions): ResolvedCoordination => {
	const gate: unknown = options.retryAfterGate ?? true;
	if (typeof gate !== 'boolean') {
		fail('retryAfterGate', 'a boolean', gate);
	}

	const latch: unknown = options.latch ?? {};
	const latchShape = '`{deadKey?: boolean, INSUFFICIENT_CREDITS?: ms, grant_exhausted?: ms}`';
	expectPlainObject('latch', latch, latchShape);
	if (latch['deadKey'] !== undefined && typeof latch['deadKey'] !== 'boolean') {
		fail('latch', latchShape, latch);
	}

	expectKnownKeys('latch', latch, ['deadKey', 'INSUFFICIENT_CREDITS', 'grant_exhausted'], 'a latch');

	const store: unknown = options.store ?? createMemoryStore();
	if (!isRecord(store) || typeof store['run'] !== 'function') {
		fail('store', 'a KnoudsStore (an object with a `run` method)', store);
	}

	const onStoreError: unknown = options.onStoreError;
	if (onStoreError !== undefined && typeof onStoreError !== 'function') {
		fail('onStoreError', 'a function', onStoreError);
	}

	const failOnStoreError: unknown = options.failOnStoreError ?? false;
	if (typeof failOnStoreError !== 'boolean') {
		fail('failOnStoreError', 'a boolean', failOnStoreError);
	}

	const faults = {
		timeoutMs: Math.min(positive('storeTimeout', options.storeTimeout, 1000) ?? 1000, maxTimer),
		onError: onStoreError as ((error: Error) => void) | undefined,
		fail: failOnStoreError,
	};
	return {
		gate,
		budget: resolveBudget(options.retryBudget),
		latch: {
			deadKey: latch['deadKey'] !== false,
			credits: positive('latch.INSUFFICIENT_CREDITS', latch['INSUFFICIENT_CREDITS'], undefined),
			grant: positive('latch.grant_exhausted', latch['grant_exhausted'], undefined),
		},
		requestsPerMinute: resolvePace(options.rateLimit),
		store: resilientStore(store as unknown as KnoudsStore, faults),
		guarded: !isMemoryStore(store as unknown as KnoudsStore),
	};
};
