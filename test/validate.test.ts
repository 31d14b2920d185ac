import {describe, expect, it} from 'vitest';
import {knoudsRetry} from '../src/ky.js';
import {resolveOptions, type KnoudsRetryOptions} from '../src/options.js';
import {resolvePolicy} from '../src/policy.js';

// An invalid option is refused with a TypeError that names it and shows what came: the caller fixes the
// value from the message alone.

const resolve = (options: unknown): unknown => resolveOptions(options as KnoudsRetryOptions, {}, 'knoudsRetry()');

const refuses = (run: () => unknown, message: string): void => {
	expect(run).toThrow(new TypeError(message));
};

const maxRetryAfter = 'Expected `maxRetryAfter` to be a non-negative number of milliseconds (or Infinity), got';

describe('what an invalid option is shown as', () => {
	it('shows a bigint as its digits', () => {
		refuses(() => resolve({maxRetryAfter: 60_000n}), `${maxRetryAfter} 60000.`);
	});

	it('shows a function as a function, and a symbol as a symbol', () => {
		refuses(() => resolve({maxRetryAfter: () => 60_000}), `${maxRetryAfter} a function.`);
		refuses(() => resolve({maxRetryAfter: Symbol('ms')}), `${maxRetryAfter} a symbol.`);
	});

	it('shows undefined as undefined, as when ky itself was not imported', () => {
		refuses(() => knoudsRetry(undefined as never), 'Expected `client` to be a ky instance (from ky.create() or ky.extend()), got undefined.');
	});
});

describe('an unknown code in the policy', () => {
	it('is refused without a "did you mean" when no code differs from it only in case', () => {
		refuses(() => resolvePolicy({NOT_A_CODE: 3}), '`policy.NOT_A_CODE` is not a known code; expected a documented Knouds code, `NETWORK_ERROR`, `TIMEOUT` or `SERVER_ERROR`.');
	});
});
