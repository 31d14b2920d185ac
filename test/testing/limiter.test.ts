import fc from 'fast-check';
import {describe, expect, it} from 'vitest';
import {retryAfterSeconds} from '../../src/testing/limiter.js';
import {algorithms, limitAndWindow, limiter, replay, times} from './limiter-support.js';

describe('the fixed-window limiter', () => {
	it('admits limit requests in a window and refuses the next with the time left to the window boundary', () => {
		const fixed = limiter('fixed-window', 2, 1000);
		expect(fixed.take(0)).toBe(0);
		expect(fixed.take(10)).toBe(0);
		expect(fixed.take(500)).toBe(500);
		expect(fixed.take(999)).toBe(1);
		expect(fixed.take(1000)).toBe(0);
	});

	it('aligns its windows to the clock rather than to the first request', () => {
		const fixed = limiter('fixed-window', 1, 60_000);
		expect(fixed.take(59_000)).toBe(0);
		// The next minute starts 1 s later, not 60 s after the first request.
		expect(fixed.take(59_500)).toBe(500);
		expect(fixed.take(60_000)).toBe(0);
	});

	it('starts every window with the whole limit, however full the previous one was', () => {
		const fixed = limiter('fixed-window', 3, 1000);
		for (const time of [0, 1, 2]) {
			expect(fixed.take(time)).toBe(0);
		}

		expect(fixed.take(3)).toBeGreaterThan(0);
		expect([5000, 5001, 5002, 5003].map(time => fixed.take(time))).toEqual([0, 0, 0, 997]);
	});

	it('does not count refused requests against the next window', () => {
		const fixed = limiter('fixed-window', 1, 100);
		expect(fixed.take(0)).toBe(0);
		for (let time = 1; time < 100; time++) {
			expect(fixed.take(time)).toBe(100 - time);
		}

		expect(fixed.take(100)).toBe(0);
	});
});

describe('the token-bucket limiter', () => {
	it('starts full, so a burst of limit requests is admitted at once', () => {
		const bucket = limiter('token-bucket', 5, 1000);
		expect([0, 0, 0, 0, 0].map(time => bucket.take(time))).toEqual([0, 0, 0, 0, 0]);
		expect(bucket.take(0)).toBe(200);
	});

	it('refills continuously at limit per window instead of on a boundary', () => {
		const bucket = limiter('token-bucket', 4, 1000);
		for (let index = 0; index < 4; index++) {
			expect(bucket.take(0)).toBe(0);
		}

		// One token comes back every 250 ms.
		expect(bucket.take(100)).toBe(150);
		expect(bucket.take(250)).toBe(0);
		expect(bucket.take(250)).toBe(250);
		expect(bucket.take(500)).toBe(0);
	});

	it('never holds more than limit tokens after a long pause', () => {
		const bucket = limiter('token-bucket', 3, 1000);
		expect(bucket.take(0)).toBe(0);
		const later = 1_000_000;
		expect([later, later, later, later].map(time => bucket.take(time))).toEqual([0, 0, 0, 334]);
	});

	it('waits less than a second when the refill is finer than a second', () => {
		// 100 requests per 2000 ms is one token every 20 ms.
		const bucket = limiter('token-bucket', 100, 2000);
		for (let index = 0; index < 100; index++) {
			expect(bucket.take(0)).toBe(0);
		}

		const wait = bucket.take(0);
		expect(wait).toBe(20);
		expect(retryAfterSeconds(wait)).toBe('1');
		expect(bucket.take(20)).toBe(0);
	});
});

describe('retryAfterSeconds', () => {
	it('rounds a wait up to whole seconds', () => {
		expect(retryAfterSeconds(1000)).toBe('1');
		expect(retryAfterSeconds(1001)).toBe('2');
		expect(retryAfterSeconds(58_500)).toBe('59');
		expect(retryAfterSeconds(60_000)).toBe('60');
	});

	it('never answers 0, even for a wait of a few milliseconds or none', () => {
		expect(retryAfterSeconds(20)).toBe('1');
		expect(retryAfterSeconds(1)).toBe('1');
		expect(retryAfterSeconds(0)).toBe('1');
	});

	it('gives the smallest whole number of seconds that covers any positive wait', () => {
		fc.assert(fc.property(fc.integer({min: 1, max: 10_000_000}), wait => {
			const text = retryAfterSeconds(wait);
			expect(text).toMatch(/^[1-9]\d*$/);
			const seconds = Number(text);
			expect(seconds * 1000).toBeGreaterThanOrEqual(wait);
			expect((seconds - 1) * 1000).toBeLessThan(wait);
		}));
	});
});

describe('limiter properties', () => {
	it('never admits more than limit requests within one clock-aligned window of the fixed-window limiter', () => {
		// The gaps scale with the window so that runs cover both bursts inside a window and many windows.
		const cases = limitAndWindow.chain(({limit, windowMs}) =>
			fc.integer({min: 0, max: 3}).chain(spread => times(windowMs * spread)).map(sequence => ({limit, windowMs, sequence})));
		fc.assert(fc.property(cases, ({limit, windowMs, sequence}) => {
			const {waits} = replay('fixed-window', limit, windowMs, sequence);
			const admitted = new Map<number, number>();
			for (const [index, time] of sequence.entries()) {
				if (waits[index] === 0) {
					const window = Math.floor(time / windowMs);
					admitted.set(window, (admitted.get(window) ?? 0) + 1);
				}
			}

			for (const count of admitted.values()) {
				expect(count).toBeLessThanOrEqual(limit);
			}
		}), {numRuns: 300});
	});

	it('admits the first limit requests of every window of the fixed-window limiter and refuses the rest', () => {
		fc.assert(fc.property(limitAndWindow, times(3000), ({limit, windowMs}, sequence) => {
			const {waits} = replay('fixed-window', limit, windowMs, sequence);
			const seen = new Map<number, number>();
			for (const [index, time] of sequence.entries()) {
				const window = Math.floor(time / windowMs);
				const before = seen.get(window) ?? 0;
				seen.set(window, before + 1);
				expect(waits[index] === 0).toBe(before < limit);
			}
		}));
	});

	it('never admits more than limit + limit * T / windowMs requests over any interval of length T with the token bucket', () => {
		// The gaps scale with the time one token takes to refill, so that runs both drain and refill the bucket.
		const cases = limitAndWindow.chain(({limit, windowMs}) =>
			fc.integer({min: 0, max: 3}).chain(spread => times(Math.ceil((windowMs / limit) * spread))).map(sequence => ({limit, windowMs, sequence})));
		fc.assert(fc.property(cases, ({limit, windowMs, sequence}) => {
			const {waits} = replay('token-bucket', limit, windowMs, sequence);
			for (let first = 0; first < sequence.length; first++) {
				let admitted = 0;
				for (let last = first; last < sequence.length; last++) {
					if (waits[last] === 0) {
						admitted++;
					}

					const span = sequence[last]! - sequence[first]!;
					expect(admitted).toBeLessThanOrEqual(limit + (limit * span / windowMs) + 1e-9);
				}
			}
		}), {numRuns: 300});
	});

	it('admits a request at exactly now + wait after a fixed-window refusal', () => {
		fc.assert(fc.property(limitAndWindow, times(2000), ({limit, windowMs}, sequence) => {
			const {waits} = replay('fixed-window', limit, windowMs, sequence);
			for (const [index, wait] of waits.entries()) {
				if (wait > 0) {
					const prefix = sequence.slice(0, index + 1);
					const now = prefix.at(-1)!;
					expect(Number.isInteger(wait)).toBe(true);
					expect(replay('fixed-window', limit, windowMs, prefix).limiter.take(now + wait)).toBe(0);
					// And the wait is not longer than it needs to be.
					expect(replay('fixed-window', limit, windowMs, prefix).limiter.take(now + wait - 1)).toBeGreaterThan(0);
				}
			}
		}));
	});

	it('admits a request at exactly now + wait after a token-bucket refusal, whatever the rate', () => {
		// Regression: with floating-point tokens, 10 per 60 000 ms drained at 0 told a take at 1000 to wait 5000 ms,
		// yet a take at 6000 was refused with 1 (0.9999999999999999 tokens).
		fc.assert(fc.property(limitAndWindow, times(2000), ({limit, windowMs}, sequence) => {
			// Drain the bucket at the last moment so that the final take always refuses.
			const now = sequence.at(-1)!;
			const drained = [...sequence, ...Array.from({length: limit + 1}, () => now)];
			const {waits} = replay('token-bucket', limit, windowMs, drained);
			for (const [index, wait] of waits.entries()) {
				if (wait > 0) {
					const prefix = drained.slice(0, index + 1);
					const at = prefix.at(-1)!;
					expect(Number.isInteger(wait)).toBe(true);
					expect(replay('token-bucket', limit, windowMs, prefix).limiter.take(at + wait)).toBe(0);
					expect(replay('token-bucket', limit, windowMs, prefix).limiter.take(at + wait - 1)).toBeGreaterThan(0);
				}
			}

			expect(waits.at(-1)).toBeGreaterThan(0);
		}));
	});

	it('admits a request after the Retry-After seconds of a fixed-window refusal', () => {
		fc.assert(fc.property(limitAndWindow, times(2000), ({limit, windowMs}, sequence) => {
			const now = sequence.at(-1)!;
			const drained = [...sequence, ...Array.from({length: limit + 1}, () => now)];
			const {limiter: used, waits} = replay('fixed-window', limit, windowMs, drained);
			const wait = waits.at(-1)!;
			expect(wait).toBeGreaterThan(0);
			expect(used.take(now + (Number(retryAfterSeconds(wait)) * 1000))).toBe(0);
		}));
	});

	it('refuses with a whole, positive wait no longer than one refill for the token bucket and one window for the fixed window and the sliding log', () => {
		fc.assert(fc.property(fc.constantFrom(...algorithms), limitAndWindow, times(2000), (algorithm, {limit, windowMs}, sequence) => {
			const {waits} = replay(algorithm, limit, windowMs, sequence);
			const longest = algorithm === 'token-bucket' ? Math.ceil(windowMs / limit) : windowMs;
			for (const wait of waits) {
				expect(Number.isInteger(wait)).toBe(true);
				expect(wait).toBeGreaterThanOrEqual(0);
				expect(wait).toBeLessThanOrEqual(longest);
			}
		}), {examples: [['token-bucket', {limit: 1, windowMs: 49}, [0, 0]]]});
	});

	it('tells a client that drained a bucket of 10 per minute to wait exactly the refill of one token', () => {
		const bucket = limiter('token-bucket', 10, 60_000);
		for (let index = 0; index < 10; index++) {
			bucket.take(0);
		}

		expect(bucket.take(1000)).toBe(5000);
		expect(bucket.take(6000)).toBe(0);
	});

	it('waits less than a second with the token bucket whenever one token refills in under a second', () => {
		const fine = fc.record({limit: fc.integer({min: 2, max: 500}), windowMs: fc.integer({min: 1, max: 60_000})})
			.filter(({limit, windowMs}) => windowMs / limit < 999);
		fc.assert(fc.property(fine, fc.nat({max: 100_000}), ({limit, windowMs}, now) => {
			const bucket = limiter('token-bucket', limit, windowMs);
			for (let index = 0; index < limit; index++) {
				expect(bucket.take(now)).toBe(0);
			}

			const wait = bucket.take(now);
			expect(wait).toBeGreaterThan(0);
			expect(wait).toBeLessThan(1000);
			expect(retryAfterSeconds(wait)).toBe('1');
		}));
	});
});
