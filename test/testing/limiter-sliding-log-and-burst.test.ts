import fc from 'fast-check';
import {describe, expect, it} from 'vitest';
import {drained, limitAndWindow, limiter, replay, times} from './limiter-support.js';

// What a sliding log must answer, the slow way: the requests admitted in (now - windowMs, now] decide.
const referenceLog = (limit: number, windowMs: number, sequence: readonly number[]): number[] => {
	const admitted: number[] = [];
	return sequence.map(now => {
		const inWindow = admitted.filter(time => time > now - windowMs);
		if (inWindow.length < limit) {
			admitted.push(now);
			return 0;
		}

		// The one whose leaving makes room: limit admissions back from the newest.
		return inWindow.at(-limit)! + windowMs - now;
	});
};

// The gaps scale with `unit`, so that runs cover bursts inside a window as well as long pauses.
const spreadOver = (unit: number): fc.Arbitrary<number[]> => fc.integer({min: 0, max: 3}).chain(spread => times(Math.ceil(unit * spread)));

/** The most requests `waits` admitted in any interval of `sequence` of length `span(first, last)`, against `bound`. */
const expectAdmittedWithin = (sequence: readonly number[], waits: readonly number[], bound: (span: number) => number): void => {
	for (let first = 0; first < sequence.length; first++) {
		let admitted = 0;
		for (let last = first; last < sequence.length; last++) {
			if (waits[last] === 0) {
				admitted++;
			}

			expect(admitted).toBeLessThanOrEqual(bound(sequence[last]! - sequence[first]!));
		}
	}
};

describe('the sliding-log limiter', () => {
	it('admits limit requests in any rolling window and refuses the next until the oldest admission is windowMs old', () => {
		const log = limiter('sliding-log', 2, 1000);
		expect(log.take(0)).toBe(0);
		expect(log.take(400)).toBe(0);
		expect(log.take(500)).toBe(500);
		expect(log.take(999)).toBe(1);
		expect(log.take(1000)).toBe(0);
		// Now the request at 400 is the oldest in the window.
		expect(log.take(1000)).toBe(400);
		expect(log.take(1400)).toBe(0);
	});

	it('has no clock boundary to burst across, where the fixed window would admit twice the limit', () => {
		const fixed = limiter('fixed-window', 2, 1000);
		const log = limiter('sliding-log', 2, 1000);
		const burst = [900, 950, 1000, 1050];
		expect(burst.map(time => fixed.take(time))).toEqual([0, 0, 0, 0]);
		expect(burst.map(time => log.take(time))).toEqual([0, 0, 900, 850]);
	});

	it('does not log refused requests, so a client retrying often is admitted as soon as the oldest admission leaves', () => {
		const log = limiter('sliding-log', 1, 100);
		expect(log.take(0)).toBe(0);
		for (let time = 1; time < 100; time++) {
			expect(log.take(time)).toBe(100 - time);
		}

		expect(log.take(100)).toBe(0);
	});

	it('admits a whole limit at once after a long pause, and no more', () => {
		const log = limiter('sliding-log', 3, 1000);
		expect(log.take(0)).toBe(0);
		const later = 1_000_000;
		expect([later, later, later, later].map(time => log.take(time))).toEqual([0, 0, 0, 1000]);
	});

	it('keeps deciding correctly after its ring of admission times has wrapped many times', () => {
		const log = limiter('sliding-log', 3, 10);
		// Three admissions every 10 ms for 1000 windows: each request lands as the oldest one leaves.
		for (let window = 0; window < 1000; window++) {
			const at = window * 10;
			expect([at, at + 1, at + 2, at + 3].map(time => log.take(time))).toEqual([0, 0, 0, 7]);
		}
	});
});

describe('the token-bucket limiter with a burst', () => {
	it('models 40 per second with a burst of 10: ten at once, then one every 25 ms', () => {
		const bucket = limiter('token-bucket', 40, 1000, 10);
		expect(Array.from({length: 10}, () => bucket.take(0))).toEqual(Array.from({length: 10}, () => 0));
		expect(bucket.take(0)).toBe(25);
		expect(bucket.take(25)).toBe(0);
		expect(bucket.take(25)).toBe(25);
		expect(bucket.take(60)).toBe(0);
	});

	it('never holds more than burst tokens after a long pause, however high the limit', () => {
		const bucket = limiter('token-bucket', 40, 1000, 3);
		expect(bucket.take(0)).toBe(0);
		const later = 1_000_000;
		expect([later, later, later, later].map(time => bucket.take(time))).toEqual([0, 0, 0, 25]);
	});

	it('admits a burst larger than the limit per window when the bucket is full', () => {
		const bucket = limiter('token-bucket', 2, 1000, 5);
		expect([0, 0, 0, 0, 0].map(time => bucket.take(time))).toEqual([0, 0, 0, 0, 0]);
		expect(bucket.take(0)).toBe(500);
	});

	it('answers exactly as the bucket without a burst when the burst is the limit', () => {
		fc.assert(fc.property(limitAndWindow, times(2000), ({limit, windowMs}, sequence) => {
			expect(replay('token-bucket', limit, windowMs, sequence, limit).waits).toEqual(replay('token-bucket', limit, windowMs, sequence).waits);
		}));
	});
});

describe('sliding-log and burst properties', () => {
	it('never admits more than limit requests in any window of windowMs with the sliding log', () => {
		const cases = limitAndWindow.chain(({limit, windowMs}) => spreadOver(windowMs / limit).map(sequence => ({limit, windowMs, sequence})));
		fc.assert(fc.property(cases, ({limit, windowMs, sequence}) => {
			const {waits} = replay('sliding-log', limit, windowMs, sequence);
			// Times are whole milliseconds, so a span below windowMs lies inside one window of windowMs.
			expectAdmittedWithin(sequence, waits, span => (span < windowMs ? limit : Number.POSITIVE_INFINITY));
		}), {numRuns: 300});
	});

	it('answers every request as a log of all admission times would, so the ring forgets nothing that matters', () => {
		const cases = limitAndWindow.chain(({limit, windowMs}) => spreadOver(windowMs / limit).map(sequence => ({limit, windowMs, sequence})));
		fc.assert(fc.property(cases, ({limit, windowMs, sequence}) => {
			expect(replay('sliding-log', limit, windowMs, sequence).waits).toEqual(referenceLog(limit, windowMs, sequence));
		}), {numRuns: 300});
	});

	it('admits a request at exactly now + wait after a sliding-log refusal, and not a millisecond sooner', () => {
		fc.assert(fc.property(limitAndWindow, times(2000), ({limit, windowMs}, sequence) => {
			const full = drained(sequence, limit);
			const {waits} = replay('sliding-log', limit, windowMs, full);
			for (const [index, wait] of waits.entries()) {
				if (wait > 0) {
					const prefix = full.slice(0, index + 1);
					const now = prefix.at(-1)!;
					expect(Number.isInteger(wait)).toBe(true);
					expect(replay('sliding-log', limit, windowMs, prefix).limiter.take(now + wait)).toBe(0);
					expect(replay('sliding-log', limit, windowMs, prefix).limiter.take(now + wait - 1)).toBeGreaterThan(0);
				}
			}

			expect(waits.at(-1)).toBeGreaterThan(0);
		}));
	});

	it('never admits more than burst + limit * T / windowMs requests over any interval of length T with a burst', () => {
		const cases = fc.record({limit: fc.integer({min: 1, max: 50}), windowMs: fc.integer({min: 1, max: 5000}), burst: fc.integer({min: 1, max: 50})})
			.chain(({limit, windowMs, burst}) => spreadOver(windowMs / limit).map(sequence => ({limit, windowMs, burst, sequence})));
		fc.assert(fc.property(cases, ({limit, windowMs, burst, sequence}) => {
			const {waits} = replay('token-bucket', limit, windowMs, sequence, burst);
			expectAdmittedWithin(sequence, waits, span => burst + (limit * span / windowMs) + 1e-9);
		}), {numRuns: 300});
	});

	it('admits a request at exactly now + wait after a refusal of a token bucket with a burst, and not a millisecond sooner', () => {
		fc.assert(fc.property(limitAndWindow, fc.integer({min: 1, max: 50}), times(2000), ({limit, windowMs}, burst, sequence) => {
			const full = drained(sequence, burst);
			const {waits} = replay('token-bucket', limit, windowMs, full, burst);
			for (const [index, wait] of waits.entries()) {
				if (wait > 0) {
					const prefix = full.slice(0, index + 1);
					const now = prefix.at(-1)!;
					expect(Number.isInteger(wait)).toBe(true);
					expect(wait).toBeLessThanOrEqual(Math.ceil(windowMs / limit));
					expect(replay('token-bucket', limit, windowMs, prefix, burst).limiter.take(now + wait)).toBe(0);
					expect(replay('token-bucket', limit, windowMs, prefix, burst).limiter.take(now + wait - 1)).toBeGreaterThan(0);
				}
			}

			expect(waits.at(-1)).toBeGreaterThan(0);
		}));
	});
});
