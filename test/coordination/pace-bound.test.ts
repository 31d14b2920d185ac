import {describe, expect, it} from 'vitest';
import {resolveCoordination} from '../../src/coordination/options.js';
import {createKnoudsFetch} from '../../src/index.js';

// The longest wait a timer can keep, in milliseconds: 2^31 - 1, about 24.8 days.
const longestTimer = 2 ** 31 - 1;

describe('rateLimit at the slowest pace a timer can keep', () => {
	it('accepts a requestsPerMinute whose spacing is exactly the longest timer, so a caller who asks for that pace is not refused', () => {
		const perMinute = 60_000 / longestTimer;
		// The spacing the pacer derives from it is exactly the timer's limit, not a rounding above it.
		expect(60_000 / perMinute).toBe(longestTimer);
		expect(resolveCoordination({rateLimit: {requestsPerMinute: perMinute}}).requestsPerMinute).toBe(perMinute);
		expect(() => createKnoudsFetch({rateLimit: {requestsPerMinute: perMinute}})).not.toThrow();
	});
});
