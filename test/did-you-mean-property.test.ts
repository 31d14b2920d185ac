import fc from 'fast-check';
import {describe, expect, it} from 'vitest';
import {closest} from '../src/did-you-mean.js';

// A hint must name the setting a typo meant, and never one it did not: checked against a plain
// reference of the same rule (the optimal string alignment distance: add, drop, change, swap neighbours).

const reference = (a: string, b: string): number => {
	const d: number[][] = [];
	for (let i = 0; i <= a.length; i++) {
		d[i] = [];
		for (let j = 0; j <= b.length; j++) {
			if (Math.min(i, j) === 0) {
				d[i]![j] = Math.max(i, j);
				continue;
			}

			const options = [d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)];
			if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
				options.push(d[i - 2]![j - 2]! + 1);
			}

			d[i]![j] = Math.min(...options);
		}
	}

	return d[a.length]![b.length]!;
};

const referenceClosest = (name: string, known: readonly string[]): string | undefined => {
	const lower = name.toLowerCase();
	const same = known.find(candidate => candidate.toLowerCase() === lower);
	if (same !== undefined) {
		return same;
	}

	const allowed = lower.length >= 6 ? 2 : 1;
	let best: {name: string; edits: number} | undefined;
	for (const candidate of known) {
		const edits = reference(lower, candidate.toLowerCase());
		if (edits <= allowed && (best === undefined || edits < best.edits)) {
			best = {name: candidate, edits};
		}
	}

	return best?.name;
};

// Short names over a small alphabet, so that near misses (and swaps) are common.
const word = fc.string({unit: fc.constantFrom('a', 'b', 'c', 'A'), minLength: 0, maxLength: 8});

describe('closest, against the reference', () => {
	it('suggests exactly what the rule says, for any typo and any list of names', () => {
		fc.assert(fc.property(word, fc.array(word, {maxLength: 6}), (name, known) => {
			expect(closest(name, known)).toBe(referenceClosest(name, known));
		}), {numRuns: 2000});
	});

	it('counts a swap of neighbours as one edit, and a swap of non-neighbours as two', () => {
		expect(closest('abdc', ['abcd'])).toBe('abcd');
		expect(closest('adcb', ['abcd'])).toBeUndefined();
		expect(closest('bacdef', ['abcdfe'])).toBe('abcdfe');
	});

	it('allows two edits from six characters on, and one below', () => {
		expect(closest('abcxyf', ['abcdef'])).toBe('abcdef');
		expect(closest('abxye', ['abcde'])).toBeUndefined();
		expect(closest('abxde', ['abcde'])).toBe('abcde');
	});

	it('names the nearest when several are close, and the first of equally near ones', () => {
		expect(closest('abcdxf', ['abxyzf', 'abcdef', 'abcdeg'])).toBe('abcdef');
		expect(closest('abc', ['abd', 'abe'])).toBe('abd');
	});

	it('suggests nothing for a name far from every known one, or no names at all', () => {
		expect(closest('zz', ['ab', 'cd'])).toBeUndefined();
		expect(closest('timeout', [])).toBeUndefined();
	});
});
