// Helpers that feed the simulator's limiters plain clock values, so no test sleeps.
import fc from 'fast-check';
import {createLimiter, type Limiter} from '../../src/testing/limiter.js';
import type {SimulatorRateLimit} from '../../src/testing/types.js';

export type Algorithm = SimulatorRateLimit['algorithm'];

export const algorithms: readonly Algorithm[] = ['fixed-window', 'token-bucket'];

export const limiter = (algorithm: Algorithm, limit: number, windowMs: number): Limiter => createLimiter({algorithm, windowMs}, limit);

/** A fresh limiter fed `times` in order, with the wait each take returned. */
export const replay = (algorithm: Algorithm, limit: number, windowMs: number, times: readonly number[]): {limiter: Limiter; waits: number[]} => {
	const fresh = limiter(algorithm, limit, windowMs);
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
