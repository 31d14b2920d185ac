import fc from 'fast-check';
import {describe, expect, it} from 'vitest';
import {boundedJson, maxJsonDepth} from '../src/bounded-json.js';

const nested = (depth: number): unknown => {
	let value: unknown = 1;
	for (let level = 0; level < depth; level++) {
		value = [value];
	}

	return value;
};

describe('boundedJson()', () => {
	it('gives the JSON text of a value that fits, exactly as JSON.stringify would', () => {
		fc.assert(fc.property(fc.jsonValue({maxDepth: 10}), value => {
			const text = JSON.stringify(value);
			expect(boundedJson(value, text.length)).toBe(text);
			expect(boundedJson(value, text.length - 1)).toBeUndefined();
		}));
	});

	it('gives nothing for a value nested deeper than the limit, however deep, without overflowing the stack', () => {
		expect(boundedJson(nested(maxJsonDepth), Number.POSITIVE_INFINITY)).toBeDefined();
		expect(boundedJson(nested(maxJsonDepth + 1), Number.POSITIVE_INFINITY)).toBeUndefined();
		expect(boundedJson(nested(200_000), Number.POSITIVE_INFINITY)).toBeUndefined();
	});

	it('serialises a flat value of any number of objects and arrays when its length allows, and nothing when they cannot fit', () => {
		// The outer array and its empty arrays.
		const wide = (containers: number): unknown[] => Array.from({length: containers - 1}, () => []);
		expect(boundedJson(wide(100_001), Number.POSITIVE_INFINITY)).toBe(JSON.stringify(wide(100_001)));
		// 50 containers take 2 + 49 * 3 - 1 = 148 characters: one fewer than that is too short.
		expect(boundedJson(wide(50), 148)).toBe(JSON.stringify(wide(50)));
		expect(boundedJson(wide(50), 147)).toBeUndefined();
		// More containers than half the length allowed cannot fit, whatever they hold.
		expect(boundedJson(wide(51), 100)).toBeUndefined();
	});

	it('gives nothing, and throws nothing, for a cycle, a BigInt or a throwing toJSON', () => {
		const cycle: Record<string, unknown> = {};
		cycle['self'] = cycle;
		expect(boundedJson(cycle, 1000)).toBeUndefined();
		expect(boundedJson({n: 1n}, 1000)).toBeUndefined();
		expect(boundedJson({toJSON() {
			throw new Error('no');
		}}, 1000)).toBeUndefined();
	});
});
