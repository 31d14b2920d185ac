import {describe, expect, it} from 'vitest';
import {createKnoudsFetch, type KnoudsFetchOptions} from '../src/index.js';

// A bad delay is refused with a message that says what it should have been, not only which setting it was.
const refuses = (policy: unknown, message: string): void => {
	expect(() => createKnoudsFetch({policy} as KnoudsFetchOptions)).toThrow(new TypeError(message));
};

describe('a policy delay that is not a usable number of milliseconds', () => {
	it('is refused with what a delay must be, so the caller can fix it without reading the source', () => {
		refuses({EXECUTION_FAILED: {minDelay: -1}}, 'Expected `policy.EXECUTION_FAILED.minDelay` to be a finite, non-negative number of milliseconds, got -1.');
		refuses({NETWORK_ERROR: {maxDelay: Number.NaN}}, 'Expected `policy.NETWORK_ERROR.maxDelay` to be a finite, non-negative number of milliseconds, got NaN.');
		refuses({TIMEOUT: {minDelay: '500'}}, 'Expected `policy.TIMEOUT.minDelay` to be a finite, non-negative number of milliseconds, got \'500\'.');
	});
});
