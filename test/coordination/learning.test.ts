import fc from 'fast-check';
import {describe, expect, it} from 'vitest';
import {backOff, learn, parseLimit, type Cycle, type Learned, type Limit} from '../../src/coordination/learning.js';

const fresh = {rateAtEnd: undefined} as const;
const window = (admitted: number, windowMs: number, at = 0): Learned => ({admitted, windowMs, at, refill: undefined});

describe('learn', () => {
	it('learns a window from the cycle start to the reopening, admitting what the cycle admitted', () => {
		expect(learn(undefined, {...fresh, start: 1000, admitted: 50, endedAt: 30_000, until: 61_000})).toEqual({admitted: 50, windowMs: 60_000, at: 61_000, refill: undefined});
	});

	it('learns nothing from an empty cycle, and keeps what it knew', () => {
		expect(learn(undefined, {...fresh, start: 1000, admitted: 0, endedAt: 1000, until: 61_000})).toBeUndefined();
		const known = window(5, 1000);
		expect(learn(known, {...fresh, start: 1000, admitted: 0, endedAt: 1000, until: 61_000})).toBe(known);
	});

	it('learns nothing when the gate reopens no later than the cycle began, and keeps what it knew', () => {
		expect(learn(undefined, {...fresh, start: 1000, admitted: 5, endedAt: 1000, until: 1000})).toBeUndefined();
		expect(learn(undefined, {...fresh, start: 1000, admitted: 5, endedAt: 1000, until: 999})).toBeUndefined();
		const known = {admitted: 2, windowMs: 1000, at: 0, refill: 0.01};
		expect(learn(known, {start: 1000, admitted: 5, endedAt: 1000, until: 1000, rateAtEnd: 0.02})).toBe(known);
	});

	it('learns from a cycle of one request and one millisecond', () => {
		expect(learn(undefined, {...fresh, start: 0, admitted: 1, endedAt: 0, until: 1})).toEqual({admitted: 1, windowMs: 1, at: 1, refill: undefined});
	});

	it('learns the window again, as a fixed window teaches it each time, while no more than the burst got through', () => {
		expect(learn(window(5, 1000), {...fresh, start: 2000, admitted: 5, endedAt: 2100, until: 3500})).toEqual({admitted: 5, windowMs: 1500, at: 3500, refill: undefined});
		expect(learn(window(5, 1000), {...fresh, start: 2000, admitted: 3, endedAt: 2100, until: 2800})).toEqual({admitted: 3, windowMs: 800, at: 2800, refill: undefined});
	});

	it('learns a refill the first time more than the burst got through: the rate at which the rest got through, the burst kept', () => {
		// Four in the burst, then twenty more over the two seconds until the 429: ten per second beyond the burst.
		expect(learn(window(4, 1000), {...fresh, start: 10_000, admitted: 24, endedAt: 12_000, until: 13_000})).toEqual({admitted: 4, windowMs: 1000, at: 13_000, refill: 0.01});
	});

	it('never learns a refill slower than a burst per window, however slowly the rest got through', () => {
		// Four in the burst and one more over ten seconds would be a tenth per second; a burst per window is four.
		expect(learn(window(4, 1000), {...fresh, start: 10_000, admitted: 5, endedAt: 20_000, until: 21_000})?.refill).toBe(0.004);
	});

	it('measures the first refill from the cycle\'s first answer, so that the way out to the server does not slow the refill it learns', () => {
		// Twenty beyond a burst of four, from the first answer at 10 100 ms to the 429 at 10 600: forty per second, not the
		// 33 per second the cycle's start at 10 000 would make of it.
		expect(learn(window(4, 1000), {...fresh, start: 10_000, admitted: 24, endedAt: 10_600, until: 11_600, firstAnswerAt: 10_100})?.refill).toBe(0.04);
		// An answer that cannot be before the cycle began counts from its start.
		expect(learn(window(4, 1000), {...fresh, start: 10_000, admitted: 24, endedAt: 10_500, until: 11_500, firstAnswerAt: 9000})?.refill).toBe(0.04);
	});

	it('measures the first refill over a millisecond at least, when the 429 came back as the cycle began', () => {
		expect(learn(window(4, 1000), {...fresh, start: 10_000, admitted: 6, endedAt: 10_000, until: 11_000})?.refill).toBe(2);
	});

	it('keeps a refill a fifth below the pace the pacer ran at when the server said no, once a refill is known', () => {
		const known = {admitted: 4, windowMs: 1000, at: 0, refill: 0.01};
		expect(backOff).toBe(0.8);
		expect(learn(known, {start: 10_000, admitted: 40, endedAt: 12_000, until: 13_000, rateAtEnd: 0.02})).toEqual({admitted: 4, windowMs: 1000, at: 13_000, refill: 0.016});
	});

	it('shrinks the burst to what got through, once a refill is known, and keeps the window it measures the floor by', () => {
		const known = {admitted: 4, windowMs: 1000, at: 0, refill: 0.01};
		expect(learn(known, {start: 10_000, admitted: 2, endedAt: 10_500, until: 11_000, rateAtEnd: 0.01})).toEqual({admitted: 2, windowMs: 1000, at: 11_000, refill: 0.008});
		// Cut to a burst per window at least: two per second.
		expect(learn(known, {start: 10_000, admitted: 2, endedAt: 10_500, until: 11_000, rateAtEnd: 0.001})?.refill).toBe(0.002);
	});

	it('measures the refill again when one is known but the pacer\'s rate at the 429 is not', () => {
		const known = {admitted: 4, windowMs: 1000, at: 0, refill: 0.01};
		expect(learn(known, {...fresh, start: 10_000, admitted: 64, endedAt: 12_000, until: 13_000})?.refill).toBe(0.03);
	});
});

// Learned values as a store may come to hold them: a window, or a window with a refill at least a burst per window.
const learnedValue = (): fc.Arbitrary<Learned> => fc.record({
	admitted: fc.integer({min: 1, max: 1000}),
	windowMs: fc.integer({min: 1, max: 3_600_000}),
	at: fc.nat({max: 1e12}),
	refillFactor: fc.option(fc.double({min: 1, max: 1000, noNaN: true}), {nil: undefined}),
}).map(({admitted, windowMs, at, refillFactor}) => ({admitted, windowMs, at, refill: refillFactor === undefined ? undefined : refillFactor * admitted / windowMs}));

const cycleValue = (): fc.Arbitrary<Cycle> => fc.record({
	start: fc.nat({max: 1e12}),
	admitted: fc.nat({max: 10_000}),
	ran: fc.nat({max: 1e8}),
	wait: fc.integer({min: -1000, max: 1e8}),
	rateAtEnd: fc.option(fc.double({min: 1e-9, max: 10, noNaN: true}), {nil: undefined}),
}).map(({start, admitted, ran, wait, rateAtEnd}) => ({start, admitted, endedAt: start + ran, until: start + ran + wait, rateAtEnd}));

describe('learn properties', () => {
	it('never learns a refill slower than a burst per window', () => {
		fc.assert(fc.property(fc.option(learnedValue(), {nil: undefined}), cycleValue(), (previous, cycle) => {
			const learned = learn(previous, cycle);
			if (learned?.refill !== undefined) {
				expect(learned.refill).toBeGreaterThanOrEqual(learned.admitted / learned.windowMs);
			}
		}));
	});

	it('never grows the burst: a later cycle admits no more at once than an earlier one did', () => {
		fc.assert(fc.property(learnedValue(), cycleValue(), (previous, cycle) => {
			expect(learn(previous, cycle)!.admitted).toBeLessThanOrEqual(previous.admitted);
		}));
	});

	it('learns nothing from an empty cycle', () => {
		fc.assert(fc.property(fc.option(learnedValue(), {nil: undefined}), cycleValue(), (previous, cycle) => {
			expect(learn(previous, {...cycle, admitted: 0})).toBe(previous);
		}));
	});

	it('keeps a refill once learned: it never goes back to a window without one', () => {
		fc.assert(fc.property(learnedValue(), fc.double({min: 1e-9, max: 10, noNaN: true}), cycleValue(), (previous, refill, cycle) => {
			expect(learn({...previous, refill}, cycle)?.refill).toBeDefined();
		}));
	});

	it('learns as its first refill the rate at which the requests beyond the burst got through, when that is above a burst per window', () => {
		fc.assert(fc.property(learnedValue(), fc.integer({min: 1, max: 10_000}), fc.nat({max: 1e6}), fc.nat({max: 1e12}), fc.integer({min: 1, max: 1e8}), (previous, extra, ran, start, wait) => {
			const window = {...previous, refill: undefined};
			const measured = extra / Math.max(1, ran);
			fc.pre(measured > window.admitted / window.windowMs);
			const cycle = {start, admitted: window.admitted + extra, endedAt: start + ran, until: start + ran + wait, rateAtEnd: undefined};
			expect(learn(window, cycle)).toEqual({admitted: window.admitted, windowMs: window.windowMs, at: cycle.until, refill: measured});
		}));
	});
});

// A record around a learned value, as the store keeps it.
const withLearned = (learned: string): string => `{"until":5,"cycle":1,"learned":${learned}}`;

describe('parseLimit', () => {
	it('reads a learned burst below one request as nothing learned, so that no corrupt record holds every attempt for ever', () => {
		for (const admitted of [0.5, 0, -1]) {
			expect(parseLimit(`{"until":0,"cycle":0,"learned":{"admitted":${admitted},"windowMs":1000,"at":0}}`)?.learned).toBeUndefined();
		}

		expect(parseLimit('{"until":0,"cycle":0,"learned":{"admitted":1,"windowMs":1000,"at":0}}')?.learned).toEqual({admitted: 1, windowMs: 1000, at: 0, refill: undefined});
	});

	it('reads a valid stored record', () => {
		const value: Limit = {until: 1_700_000_060_000, cycle: 1_700_000_000_000, learned: {admitted: 50, windowMs: 60_000, at: 1_700_000_000_000, refill: undefined}};
		expect(parseLimit(JSON.stringify(value))).toEqual(value);
		const refilling: Limit = {...value, learned: {admitted: 50, windowMs: 60_000, at: 1_700_000_000_000, refill: 0.0025}};
		expect(parseLimit(JSON.stringify(refilling))).toEqual(refilling);
	});

	it('reads a refill that is missing, not a number, not finite, zero or negative as none, and keeps the window', () => {
		for (const refill of ['', ',"refill":null', ',"refill":"0.5"', ',"refill":1e999', ',"refill":0', ',"refill":-0.5']) {
			expect(parseLimit(withLearned(`{"admitted":3,"windowMs":1000,"at":0${refill}}`))?.learned, refill).toStrictEqual({admitted: 3, windowMs: 1000, at: 0, refill: undefined});
		}
	});

	it('reads a record without a learned window', () => {
		expect(parseLimit('{"until":0,"cycle":1000}')).toEqual({until: 0, cycle: 1000, learned: undefined});
	});

	it('keeps only the known fields', () => {
		expect(parseLimit('{"until":0,"cycle":1,"extra":"x","learned":{"admitted":1,"windowMs":2,"at":3,"refill":4,"extra":"x"}}')).toStrictEqual({until: 0, cycle: 1, learned: {admitted: 1, windowMs: 2, at: 3, refill: 4}});
	});

	it('reads an absent value as undefined', () => {
		expect(parseLimit(undefined)).toBeUndefined();
	});

	it('rejects anything that is not JSON', () => {
		for (const text of ['', 'not json', '{until: 1}', '{"until":1,', 'undefined']) {
			expect(parseLimit(text), text).toBeUndefined();
		}
	});

	it('rejects JSON that is not an object', () => {
		for (const text of ['null', '42', '"text"', 'true', '[]', '[0,1]']) {
			expect(parseLimit(text), text).toBeUndefined();
		}
	});

	it('rejects a record whose gate or cycle is missing or not a finite number', () => {
		for (const text of ['{}', '{"cycle":1}', '{"until":1}', '{"until":"1","cycle":1}', '{"until":1,"cycle":null}', '{"until":1e999,"cycle":1}']) {
			expect(parseLimit(text), text).toBeUndefined();
		}
	});

	it('reads a learned window with a missing field as none', () => {
		for (const text of ['{}', '{"windowMs":1000,"at":0}', '{"admitted":1,"at":0}', '{"admitted":1,"windowMs":1000}', 'null', '42', '[]']) {
			expect(parseLimit(withLearned(text))?.learned, text).toBeUndefined();
		}
	});

	it('reads a learned window whose fields are not numbers as none', () => {
		for (const text of ['{"admitted":"1","windowMs":1000,"at":0}', '{"admitted":1,"windowMs":null,"at":0}', '{"admitted":1,"windowMs":1000,"at":"0"}']) {
			expect(parseLimit(withLearned(text))?.learned, text).toBeUndefined();
		}
	});

	it('reads numbers too large to be finite, which would stop or stall the window, as none', () => {
		for (const text of ['{"admitted":1,"windowMs":1e999,"at":0}', '{"admitted":1e999,"windowMs":1000,"at":0}', '{"admitted":1,"windowMs":1000,"at":-1e999}']) {
			expect(parseLimit(withLearned(text))?.learned, text).toBeUndefined();
		}
	});

	it('reads a zero or negative count or window as none', () => {
		for (const text of ['{"admitted":0,"windowMs":1000,"at":0}', '{"admitted":-1,"windowMs":1000,"at":0}', '{"admitted":1,"windowMs":0,"at":0}', '{"admitted":1,"windowMs":-5,"at":0}']) {
			expect(parseLimit(withLearned(text))?.learned, text).toBeUndefined();
		}
	});
});

describe('learn and parseLimit together', () => {
	it('reads back whatever learn produced, through the string a store keeps', () => {
		fc.assert(fc.property(fc.option(learnedValue(), {nil: undefined}), cycleValue(), (previous, cycle) => {
			const learned = learn(previous, cycle);
			const limit: Limit = {until: cycle.until, cycle: cycle.until, learned};
			expect(parseLimit(JSON.stringify(limit))).toEqual(limit);
		}));
	});
});
