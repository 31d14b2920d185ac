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

// Refills continuously at limit per window, so a token comes back long before a whole second has passed.
// Counted in units of 1/windowMs token: with a whole-millisecond clock every step is an exact integer, so a
// client that waits exactly the returned time is admitted (floating-point tokens could fall short by 1e-16).
const tokenBucket = (limit: number, windowMs: number): Limiter => {
	const capacity = limit * windowMs;
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

/** A limiter admitting `limit` requests per `windowMs` with the given algorithm. */
export const createLimiter = ({algorithm, windowMs}: SimulatorRateLimit, limit: number): Limiter =>
	algorithm === 'token-bucket' ? tokenBucket(limit, windowMs) : fixedWindow(limit, windowMs);

/** The Retry-After header value for a wait: whole seconds, rounded up so that a client waiting that long is admitted. */
export const retryAfterSeconds = (waitMs: number): string => String(Math.max(1, Math.ceil(waitMs / 1000)));
