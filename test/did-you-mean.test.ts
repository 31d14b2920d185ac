import {describe, expect, it} from 'vitest';
import {closest, didYouMean} from '../src/did-you-mean.js';

const settings = ['burst', 'earn', 'requestsPerMinute', 'retries', 'minDelay', 'maxDelay', 'factor', 'jitter'];

describe('closest', () => {
	it.each([
		['brust', 'burst'],
		['BURST', 'burst'],
		['ean', 'earn'],
		['requestPerMinute', 'requestsPerMinute'],
		['requestsperminute', 'requestsPerMinute'],
		['maxDelays', 'maxDelay'],
		['minDelya', 'minDelay'],
		['jiter', 'jitter'],
	])('takes %s for %s', (typo, meant) => {
		expect(closest(typo, settings)).toBe(meant);
	});

	it.each(['limit', 'retry', 'delay', 'x', ''])('finds nothing close to %s', name => {
		expect(closest(name, settings)).toBeUndefined();
	});

	it('prefers the nearest of several close names', () => {
		expect(closest('minDelai', ['maxDelay', 'minDelay'])).toBe('minDelay');
	});

	it('names the nearest setting, not the first one listed that is within reach', () => {
		// One key off from `maxDelay`, two edits from `minDelay`, which comes first.
		expect(closest('msxDelay', settings)).toBe('maxDelay');
	});
});

describe('didYouMean', () => {
	it('phrases the hint, or gives nothing', () => {
		expect(didYouMean('brust', settings)).toBe(' (did you mean `burst`?)');
		expect(didYouMean('limit', settings)).toBe('');
	});
});
