import fc from 'fast-check';
import {describe, expect, it} from 'vitest';
import {learn, paceInterval, parseLearned, type Learned} from '../../src/coordination/learning.js';

describe('learn', () => {
	it('learns a window from the cycle start to the reopening, admitting what the cycle admitted', () => {
		expect(learn(1000, 50, 61_000)).toEqual({admitted: 50, windowMs: 60_000, at: 61_000});
	});

	it('learns nothing from an empty cycle', () => {
		expect(learn(1000, 0, 61_000)).toBeUndefined();
	});

	it('learns nothing when the gate reopens no later than the cycle began', () => {
		expect(learn(1000, 5, 1000)).toBeUndefined();
		expect(learn(1000, 5, 999)).toBeUndefined();
	});

	it('learns from a cycle of one request and one millisecond', () => {
		expect(learn(0, 1, 1)).toEqual({admitted: 1, windowMs: 1, at: 1});
	});
});

describe('paceInterval', () => {
	const learned: Learned = {admitted: 100, windowMs: 60_000, at: 1_000_000};

	it('is 0 with nothing learned and nothing configured', () => {
		expect(paceInterval(undefined, undefined, 5000)).toBe(0);
	});

	it('spaces requests by a minute over the configured requests per minute', () => {
		expect(paceInterval(undefined, 600, 5000)).toBe(100);
		expect(paceInterval(undefined, 60, 5000)).toBe(1000);
	});

	it('spaces requests by the learned window over what it admitted', () => {
		expect(paceInterval(learned, undefined, learned.at)).toBe(600);
	});

	it('takes the larger of the learned and the configured interval', () => {
		expect(paceInterval(learned, 600, learned.at)).toBe(600);
		expect(paceInterval(learned, 60, learned.at)).toBe(1000);
	});

	it('lets 1% more through for each whole learned window that has passed since it was learned', () => {
		expect(paceInterval(learned, undefined, learned.at + 60_000)).toBeCloseTo(60_000 / 101, 9);
		expect(paceInterval(learned, undefined, learned.at + 600_000)).toBeCloseTo(60_000 / 110, 9);
	});

	it('counts only whole windows', () => {
		expect(paceInterval(learned, undefined, learned.at + 59_999)).toBe(600);
		expect(paceInterval(learned, undefined, learned.at + 119_999)).toBeCloseTo(60_000 / 101, 9);
	});

	it('does not grow before the limit was learned', () => {
		expect(paceInterval(learned, undefined, learned.at - 600_000)).toBe(600);
	});

	it('shrinks over time but never below the configured interval', () => {
		const configured = 500;
		const intervals = [0, 1, 10, 100, 1000].map(windows => paceInterval(learned, 120, learned.at + (windows * 60_000)));
		expect(intervals[0]).toBe(600);
		expect(intervals[1]).toBeLessThan(600);
		expect(intervals[2]).toBeLessThan(intervals[1]!);
		expect(intervals[3]).toBe(configured);
		expect(intervals[4]).toBe(configured);
	});

	it('approaches 0 without a configured limit, but stays positive', () => {
		const interval = paceInterval(learned, undefined, learned.at + (1e6 * 60_000));
		expect(interval).toBeGreaterThan(0);
		expect(interval).toBeLessThan(1);
	});
});

describe('parseLearned', () => {
	it('reads a valid stored value', () => {
		const value: Learned = {admitted: 50, windowMs: 60_000, at: 1_700_000_000_000};
		expect(parseLearned(JSON.stringify(value))).toEqual(value);
	});

	it('keeps only the three fields', () => {
		expect(parseLearned('{"admitted":1,"windowMs":2,"at":3,"extra":"x"}')).toEqual({admitted: 1, windowMs: 2, at: 3});
	});

	it('reads an absent value as undefined', () => {
		expect(parseLearned(undefined)).toBeUndefined();
	});

	it('rejects anything that is not JSON', () => {
		for (const text of ['', 'not json', '{admitted: 1}', '{"admitted":1,', 'undefined']) {
			expect(parseLearned(text), text).toBeUndefined();
		}
	});

	it('rejects JSON that is not an object', () => {
		for (const text of ['null', '42', '"text"', 'true', '[]', '[50,60000,0]']) {
			expect(parseLearned(text), text).toBeUndefined();
		}
	});

	it('rejects an object with a missing field', () => {
		for (const text of ['{}', '{"windowMs":1000,"at":0}', '{"admitted":1,"at":0}', '{"admitted":1,"windowMs":1000}']) {
			expect(parseLearned(text), text).toBeUndefined();
		}
	});

	it('rejects fields that are not numbers', () => {
		for (const text of ['{"admitted":"1","windowMs":1000,"at":0}', '{"admitted":1,"windowMs":null,"at":0}', '{"admitted":1,"windowMs":1000,"at":"0"}']) {
			expect(parseLearned(text), text).toBeUndefined();
		}
	});

	it('rejects numbers too large to be finite, which would stop or stall pacing', () => {
		for (const text of ['{"admitted":1,"windowMs":1e999,"at":0}', '{"admitted":1e999,"windowMs":1000,"at":0}', '{"admitted":1,"windowMs":1000,"at":-1e999}']) {
			expect(parseLearned(text), text).toBeUndefined();
		}
	});

	it('rejects a zero or negative count or window', () => {
		for (const text of ['{"admitted":0,"windowMs":1000,"at":0}', '{"admitted":-1,"windowMs":1000,"at":0}', '{"admitted":1,"windowMs":0,"at":0}', '{"admitted":1,"windowMs":-5,"at":0}']) {
			expect(parseLearned(text), text).toBeUndefined();
		}
	});
});

describe('paceInterval properties', () => {
	const anyLearned = fc.option(fc.record({
		admitted: fc.integer({min: 1, max: 1e6}),
		windowMs: fc.integer({min: 1, max: 1e8}),
		at: fc.integer({min: 0, max: 1e13}),
	}), {nil: undefined});
	const anyRate = fc.option(fc.double({min: 1e-3, max: 1e6, noNaN: true}), {nil: undefined});
	const anyNow = fc.integer({min: 0, max: 2e13});

	it('is never below the configured interval', () => {
		fc.assert(fc.property(anyLearned, anyRate, anyNow, (learned, requestsPerMinute, now) => {
			const configured = requestsPerMinute === undefined ? 0 : 60_000 / requestsPerMinute;
			expect(paceInterval(learned, requestsPerMinute, now)).toBeGreaterThanOrEqual(configured);
		}));
	});

	it('never increases as now grows', () => {
		fc.assert(fc.property(anyLearned, anyRate, anyNow, fc.integer({min: 0, max: 1e13}), (learned, requestsPerMinute, now, later) => {
			expect(paceInterval(learned, requestsPerMinute, now + later)).toBeLessThanOrEqual(paceInterval(learned, requestsPerMinute, now));
		}));
	});

	it('never exceeds what was learned or configured, and is finite', () => {
		fc.assert(fc.property(anyLearned, anyRate, anyNow, (learned, requestsPerMinute, now) => {
			const interval = paceInterval(learned, requestsPerMinute, now);
			const configured = requestsPerMinute === undefined ? 0 : 60_000 / requestsPerMinute;
			expect(Number.isFinite(interval)).toBe(true);
			expect(interval).toBeLessThanOrEqual(Math.max(configured, learned === undefined ? 0 : learned.windowMs / learned.admitted));
		}));
	});

	it('reads back whatever learn() learned', () => {
		fc.assert(fc.property(fc.integer({min: 0, max: 1e13}), fc.integer({min: 1, max: 1e6}), fc.integer({min: 1, max: 1e8}), (cycleStart, admitted, windowMs) => {
			const learned = learn(cycleStart, admitted, cycleStart + windowMs);
			expect(learned).toBeDefined();
			expect(parseLearned(JSON.stringify(learned))).toEqual(learned);
		}));
	});
});
