import type {CallSettings} from '../../src/attempt.js';
import type {DecideInput} from '../../src/decide.js';
import type {Failure} from '../../src/failure.js';
import type {FetchLike} from '../../src/options.js';
import {defaultPolicy} from '../../src/policy.js';
import {defaultIdempotentMethods} from '../../src/options.js';

/** What one call runs with, as the engine's units see it: a custom fetch, no timeouts, nothing sent yet. */
export const callSettings = (fetch: FetchLike, overrides: Partial<CallSettings> = {}): CallSettings => ({
	fetch,
	platformFetch: false,
	retriesOff: () => false,
	signalPerCall: false,
	answered: {controller: undefined},
	attemptTimeout: undefined,
	deadline: undefined,
	sent: {count: 0},
	...overrides,
});

/** What decide() is asked for a failure of a GET's first attempt under the default policy, at `now`. */
export const decideInput = (failure: Failure, now: number, overrides: Partial<DecideInput> = {}): DecideInput => ({
	failure,
	method: 'GET',
	retriesSoFar: 0,
	policy: defaultPolicy,
	idempotentMethods: new Set(defaultIdempotentMethods),
	maxRetryAfter: 60_000,
	now,
	deadline: undefined,
	random: () => 0.5,
	...overrides,
});
