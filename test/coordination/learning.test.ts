import fc from 'fast-check';
import {describe, expect, it} from 'vitest';
import {learn, parseLimit, type Limit} from '../../src/coordination/learning.js';

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

// A record around a learned value, as the store keeps it.
const withLearned = (learned: string): string => `{"until":5,"cycle":1,"learned":${learned}}`;

describe('parseLimit', () => {
	it('reads a valid stored record', () => {
		const value: Limit = {until: 1_700_000_060_000, cycle: 1_700_000_000_000, learned: {admitted: 50, windowMs: 60_000, at: 1_700_000_000_000}};
		expect(parseLimit(JSON.stringify(value))).toEqual(value);
	});

	it('reads a record without a learned window', () => {
		expect(parseLimit('{"until":0,"cycle":1000}')).toEqual({until: 0, cycle: 1000, learned: undefined});
	});

	it('keeps only the known fields', () => {
		expect(parseLimit('{"until":0,"cycle":1,"extra":"x","learned":{"admitted":1,"windowMs":2,"at":3,"extra":"x"}}')).toEqual({until: 0, cycle: 1, learned: {admitted: 1, windowMs: 2, at: 3}});
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
		fc.assert(fc.property(fc.nat({max: 1e12}), fc.integer({min: 1, max: 10_000}), fc.integer({min: 1, max: 1e9}), (cycleStart, admitted, length) => {
			const learned = learn(cycleStart, admitted, cycleStart + length);
			const limit: Limit = {until: cycleStart + length, cycle: cycleStart + length, learned};
			expect(parseLimit(JSON.stringify(limit))).toEqual(limit);
		}));
	});
});
