// Helpers that feed the simulator's limiters plain clock values, so no test sleeps.
import fc from 'fast-check';
import {createLimiter, type Limiter} from '../../src/testing/limiter.js';
import type {SimulatorRateLimit} from '../../src/testing/types.js';

export type Algorithm = SimulatorRateLimit['algorithm'];

export const algorithms: readonly Algorithm[] = ['fixed-window', 'token-bucket', 'sliding-log'];

/** A fresh limiter; `burst` is for the token bucket, and left out when undefined, as a scenario leaves it out. */
export const limiter = (algorithm: Algorithm, limit: number, windowMs: number, burst?: number): Limiter =>
	createLimiter({algorithm, windowMs, ...(burst === undefined ? {} : {burst})}, limit);

/** A fresh limiter fed `times` in order, with the wait each take returned. */
export const replay = (algorithm: Algorithm, limit: number, windowMs: number, times: readonly number[], burst?: number): {limiter: Limiter; waits: number[]} => {
	const fresh = limiter(algorithm, limit, windowMs, burst);
	return {limiter: fresh, waits: times.map(time => fresh.take(time))};
};

// Request times as a clock gives them: whole milliseconds that never go back, from an arbitrary start.
export const times = (maxGap: number): fc.Arbitrary<number[]> =>
	fc.tuple(fc.nat({max: 10_000_000}), fc.array(fc.nat({max: maxGap}), {minLength: 1, maxLength: 60}))
		.map(([start, gaps]) => {
			let time = start;
			return gaps.map(gap => (time += gap));
		});

export const limitAndWindow = fc.record({
	limit: fc.integer({min: 1, max: 50}),
	windowMs: fc.integer({min: 1, max: 5000}),
});

/** `sequence` with limit + 1 more requests at its last moment, so that its final take is refused. */
export const drained = (sequence: readonly number[], limit: number): number[] => {
	const now = sequence.at(-1)!;
	return [...sequence, ...Array.from({length: limit + 1}, () => now)];
};
