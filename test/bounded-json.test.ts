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

	it('serialises a flat value of up to 100,000 objects and arrays, and nothing for one with more, whatever length it allows', () => {
		// The outer array and its empty arrays: 100,000 containers, then one more.
		const wide = (containers: number): unknown[] => Array.from({length: containers - 1}, () => []);
		expect(boundedJson(wide(100_000), Number.POSITIVE_INFINITY)).toBe(JSON.stringify(wide(100_000)));
		expect(boundedJson(wide(100_001), Number.POSITIVE_INFINITY)).toBeUndefined();
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
