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
});

describe('didYouMean', () => {
	it('phrases the hint, or gives nothing', () => {
		expect(didYouMean('brust', settings)).toBe(' (did you mean `burst`?)');
		expect(didYouMean('limit', settings)).toBe('');
	});
});
