import type {SimulatorRateLimit} from './types.js';

/**
A per-user request limiter. `take(now)` admits a request and returns 0, or refuses it and returns how many
milliseconds until a request would be admitted (what an honest Retry-After rounds up to whole seconds).
*/
export type Limiter = {
	take(now: number): number;
};

// Windows are aligned to the clock (minute boundaries for a one-minute window), as a server-side counter keyed by minute is.
const fixedWindow = (limit: number, windowMs: number): Limiter => {
	let window = Number.NEGATIVE_INFINITY;
	let used = 0;
	return {
		take(now) {
			const current = Math.floor(now / windowMs);
			if (current !== window) {
				window = current;
				used = 0;
			}

			if (used < limit) {
				used++;
				return 0;
			}

			return ((current + 1) * windowMs) - now;
		},
	};
};

// Refills continuously at limit per window up to `burst` tokens, so a token comes back long before a whole second has passed.
// Counted in units of 1/windowMs token: with a whole-millisecond clock every step is an exact integer, so a
// client that waits exactly the returned time is admitted (floating-point tokens could fall short by 1e-16).
const tokenBucket = (limit: number, windowMs: number, burst: number): Limiter => {
	const capacity = burst * windowMs;
	let units = capacity;
	let last: number | undefined;
	return {
		take(now) {
			units = Math.min(capacity, units + (Math.max(0, now - (last ?? now)) * limit));
			last = now;
			if (units >= windowMs) {
				units -= windowMs;
				return 0;
			}

			return Math.ceil((windowMs - units) / limit);
		},
	};
};

// Admits a request when fewer than limit were admitted in the last windowMs, with no boundary to burst across.
// Only the last limit admissions can decide that, so a ring of them is the whole log: the slot written next
// is empty until limit were admitted, and holds the oldest of them after, which must be windowMs old.
const slidingLog = (limit: number, windowMs: number): Limiter => {
	// Filled in order as requests are admitted, so a generous tier costs memory only for the requests it sent.
	const admitted: number[] = [];
	let next = 0;
	return {
		take(now) {
			const oldest = admitted[next];
			if (oldest !== undefined && now < oldest + windowMs) {
				return oldest + windowMs - now;
			}

			admitted[next] = now;
			next = (next + 1) % limit;
			return 0;
		},
	};
};

/**
A limiter admitting `limit` requests per `windowMs` with the given algorithm; a token bucket holds `burst`
tokens (by default `limit`).
*/
export const createLimiter = ({algorithm, windowMs, burst}: SimulatorRateLimit, limit: number): Limiter => {
	switch (algorithm) {
		case 'token-bucket': {
			return tokenBucket(limit, windowMs, burst ?? limit);
		}

		case 'sliding-log': {
			return slidingLog(limit, windowMs);
		}

		case 'fixed-window': {
			return fixedWindow(limit, windowMs);
		}
	}
};

/** The Retry-After header value for a wait: whole seconds, rounded up so that a client waiting that long is admitted. */
export const retryAfterSeconds = (waitMs: number): string => String(Math.max(1, Math.ceil(waitMs / 1000)));
