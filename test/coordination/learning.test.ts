import fc from 'fast-check';
import {describe, expect, it} from 'vitest';
import {learn, parseLearned, type Learned} from '../../src/coordination/learning.js';

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

describe('learn and parseLearned together', () => {
	it('reads back whatever learn produced, through the string a store keeps', () => {
		fc.assert(fc.property(fc.nat({max: 1e12}), fc.integer({min: 1, max: 10_000}), fc.integer({min: 1, max: 1e9}), (cycleStart, admitted, length) => {
			const learned = learn(cycleStart, admitted, cycleStart + length);
			expect(parseLearned(JSON.stringify(learned))).toEqual(learned);
		}));
	});
});
