import {describe, expect, it} from 'vitest';
import {resolveOptions} from '../src/options.js';
import {resolvePolicy} from '../src/policy.js';
import * as policyModule from './support/policy-module.js';

// An options object that is not a plain one has its settings somewhere an option is not read from: it is
// refused, and the message says what it was, so that the caller sees the mistake instead of a default.

const refuses = (run: () => unknown, message: string): void => {
	expect(run).toThrow(new TypeError(message));
};

describe('options that are not plain objects', () => {
	it('tells a caller who passes a module namespace as the policy (import * as) that it is not a plain object', () => {
		refuses(() => resolvePolicy(policyModule), '`policy` is an exotic object, not a plain object; expected an object keyed by error code.');
	});

	it('names a value of an anonymous class an exotic object, not "an instance of" a blank name', () => {
		const options = new (class {
			maxRetryAfter = 0;
		})();
		refuses(() => resolveOptions(options, {}, 'knoudsRetry()'), '`options` is an exotic object, not a plain object; expected an object.');
	});
});
