import {runInNewContext} from 'node:vm';
import {describe, expect, it} from 'vitest';
import {knoudsCodes, knoudsErrorCatalog} from '../src/catalog.js';
import {defaultPolicy, fallbackPolicy, resolvePolicy} from '../src/policy.js';

const provider = {minDelay: 500, maxDelay: 8000, factor: 2, jitter: 'full'};

describe('defaultPolicy', () => {
	it('retries the transient codes and transport failures with their documented settings', () => {
		expect(defaultPolicy.RATE_LIMIT_EXCEEDED).toEqual({retries: 5, minDelay: 1000, maxDelay: 30_000, factor: 2, jitter: 'full'});
		expect(defaultPolicy.EXECUTION_FAILED).toEqual({retries: 3, ...provider});
		expect(defaultPolicy.PROVIDER_SUBMIT_FAILED).toEqual({retries: 3, ...provider});
		expect(defaultPolicy.PROVIDER_RESPONSE_INCOMPLETE).toEqual({retries: 2, ...provider});
		expect(defaultPolicy.SERVER_ERROR).toEqual({retries: 3, ...provider});
		expect(defaultPolicy.NETWORK_ERROR).toEqual({retries: 3, ...provider});
		expect(defaultPolicy.TIMEOUT).toEqual({retries: 2, ...provider});
	});

	it('makes every non-retryable documented code terminal', () => {
		for (const code of knoudsCodes) {
			expect(defaultPolicy[code] !== false, code).toBe(knoudsErrorCatalog[code].retryable);
		}
	});

	it('is frozen', () => {
		expect(Object.isFrozen(defaultPolicy)).toBe(true);
		expect(Object.isFrozen(defaultPolicy.EXECUTION_FAILED)).toBe(true);
	});
});

describe('resolvePolicy', () => {
	it('returns the default policy when none is given', () => {
		expect(resolvePolicy(undefined)).toBe(defaultPolicy);
		expect(resolvePolicy({})).toEqual(defaultPolicy);
	});

	it('reads a number as that many retries with default settings', () => {
		const policy = resolvePolicy({EXECUTION_FAILED: 5});
		expect(policy.EXECUTION_FAILED).toEqual({retries: 5, ...provider});
		expect(policy.RATE_LIMIT_EXCEEDED).toBe(defaultPolicy.RATE_LIMIT_EXCEEDED);
	});

	it('opts a terminal code into retries on the fallback curve', () => {
		expect(resolvePolicy({INSUFFICIENT_CREDITS: 1}).INSUFFICIENT_CREDITS).toEqual({...fallbackPolicy, retries: 1});
	});

	it('reads false as never retry', () => {
		expect(resolvePolicy({PROVIDER_RESPONSE_INCOMPLETE: false}).PROVIDER_RESPONSE_INCOMPLETE).toBe(false);
	});

	it('merges a partial object onto the default settings of its code', () => {
		expect(resolvePolicy({EXECUTION_FAILED: {retries: 5, maxDelay: 20_000}}).EXECUTION_FAILED)
			.toEqual({...provider, retries: 5, maxDelay: 20_000});
	});

	it('ignores undefined values and keeps the defaults', () => {
		expect(resolvePolicy({EXECUTION_FAILED: undefined}).EXECUTION_FAILED).toBe(defaultPolicy.EXECUTION_FAILED);
		expect(resolvePolicy({EXECUTION_FAILED: {retries: undefined, jitter: undefined, maxDelay: 9000}}).EXECUTION_FAILED)
			.toEqual({retries: 3, ...provider, maxDelay: 9000});
	});

	it('leaves the default policy untouched and freezes what it returns', () => {
		const policy = resolvePolicy({EXECUTION_FAILED: {retries: 9}});
		expect(defaultPolicy.EXECUTION_FAILED).toMatchObject({retries: 3});
		expect(Object.isFrozen(policy)).toBe(true);
		expect(Object.isFrozen(policy.EXECUTION_FAILED)).toBe(true);
	});
});

describe('resolvePolicy validation', () => {
	const rejects = (input: unknown, message: RegExp): void => {
		expect(() => resolvePolicy(input)).toThrow(TypeError);
		expect(() => resolvePolicy(input)).toThrow(message);
	};

	it('rejects negative and non-integer retries', () => {
		rejects({EXECUTION_FAILED: {retries: -1}}, /`policy\.EXECUTION_FAILED\.retries` to be a non-negative integer, got -1/);
		rejects({EXECUTION_FAILED: {retries: 1.5}}, /`policy\.EXECUTION_FAILED\.retries`.*got 1\.5/);
		rejects({EXECUTION_FAILED: -2}, /`policy\.EXECUTION_FAILED\.retries`/);
		rejects({EXECUTION_FAILED: Number.NaN}, /`policy\.EXECUTION_FAILED\.retries`/);
		rejects({EXECUTION_FAILED: {retries: '3'}}, /`policy\.EXECUTION_FAILED\.retries`.*got '3'/);
	});

	it('rejects NaN, infinite and negative delays', () => {
		rejects({EXECUTION_FAILED: {minDelay: Number.NaN}}, /`policy\.EXECUTION_FAILED\.minDelay`/);
		rejects({EXECUTION_FAILED: {maxDelay: Number.POSITIVE_INFINITY}}, /`policy\.EXECUTION_FAILED\.maxDelay`.*got Infinity/);
		rejects({NETWORK_ERROR: {minDelay: -1}}, /`policy\.NETWORK_ERROR\.minDelay`/);
	});

	it('rejects a minDelay above maxDelay, naming both', () => {
		rejects({EXECUTION_FAILED: {minDelay: 5000, maxDelay: 1000}}, /`policy\.EXECUTION_FAILED\.minDelay` to be at most `policy\.EXECUTION_FAILED\.maxDelay` \(1000\), got 5000/);
		rejects({EXECUTION_FAILED: {maxDelay: 100}}, /`policy\.EXECUTION_FAILED\.minDelay`/);
	});

	it('rejects a factor below 1 or not finite', () => {
		rejects({TIMEOUT: {factor: 0.5}}, /`policy\.TIMEOUT\.factor` to be a finite number of at least 1/);
		rejects({TIMEOUT: {factor: Number.NaN}}, /`policy\.TIMEOUT\.factor`/);
		rejects({TIMEOUT: {factor: Number.POSITIVE_INFINITY}}, /`policy\.TIMEOUT\.factor`/);
	});

	it('rejects an unknown jitter and lists the valid ones', () => {
		rejects({SERVER_ERROR: {jitter: 'random'}}, /`policy\.SERVER_ERROR\.jitter` to be one of 'full', 'equal', 'none', got 'random'/);
	});

	it('rejects an unknown policy key and names it', () => {
		rejects({NOT_A_CODE: 3}, /`policy\.NOT_A_CODE` is not a known code/);
	});

	it('suggests the right case for a code typed in the wrong case', () => {
		rejects({GRANT_EXHAUSTED: false}, /`policy\.GRANT_EXHAUSTED`.*did you mean `grant_exhausted`\?/);
	});

	it('rejects an unknown setting inside a code policy and lists the known ones', () => {
		rejects({EXECUTION_FAILED: {retry: 3}}, /`policy\.EXECUTION_FAILED\.retry` is not a known setting; expected one of `retries`, `minDelay`/);
	});

	it('rejects values that are neither false, a number nor an object', () => {
		rejects({EXECUTION_FAILED: true}, /`policy\.EXECUTION_FAILED` to be `false`, a number of retries, or an object, got true/);
		rejects({EXECUTION_FAILED: 'never'}, /`policy\.EXECUTION_FAILED`.*got 'never'/);
		rejects({EXECUTION_FAILED: [3]}, /`policy\.EXECUTION_FAILED`.*got an array/);
		rejects({EXECUTION_FAILED: null}, /`policy\.EXECUTION_FAILED`.*got null/);
	});

	it('rejects a policy that is not an object', () => {
		rejects(null, /`policy` to be an object keyed by error code, got null/);
		rejects([], /`policy`.*got an array/);
		rejects(3, /`policy`.*got 3/);
	});
});

describe('resolvePolicy refusals of misspelt and misshapen settings', () => {
	const refuses = (input: unknown, message: string): void => {
		expect(() => resolvePolicy(input)).toThrow(new TypeError(message));
	};

	class Policy {
		EXECUTION_FAILED = 5;
	}

	it('refuses a policy given as a Map, whose entries would be ignored', () => {
		refuses(new Map([['EXECUTION_FAILED', 5]]), '`policy` is an instance of Map, not a plain object (a Map\'s entries are not read as settings); expected an object keyed by error code.');
	});

	it('refuses a policy given as a class instance, and takes one from another realm or without a prototype', () => {
		refuses(new Policy(), '`policy` is an instance of Policy, not a plain object; expected an object keyed by error code.');
		expect(resolvePolicy(runInNewContext('({EXECUTION_FAILED: 5})')).EXECUTION_FAILED).toMatchObject({retries: 5});
		expect(resolvePolicy(Object.assign(Object.create(null) as object, {EXECUTION_FAILED: 6})).EXECUTION_FAILED).toMatchObject({retries: 6});
	});

	it('refuses a code policy that is a Map or a class instance', () => {
		refuses({EXECUTION_FAILED: new Map([['retries', 5]])}, '`policy.EXECUTION_FAILED` is an instance of Map, not a plain object (a Map\'s entries are not read as settings); expected `false`, a number of retries, or an object.');
		refuses({TIMEOUT: new (class Settings {
			retries = 1;
		})()}, '`policy.TIMEOUT` is an instance of Settings, not a plain object; expected `false`, a number of retries, or an object.');
	});

	it('names the setting a misspelt one in a code policy looks like', () => {
		refuses({EXECUTION_FAILED: {maxDelays: 100}}, '`policy.EXECUTION_FAILED.maxDelays` is not a known setting (did you mean `maxDelay`?); expected one of `retries`, `minDelay`, `maxDelay`, `factor`, `jitter`.');
		refuses({EXECUTION_FAILED: {jiter: 'none'}}, '`policy.EXECUTION_FAILED.jiter` is not a known setting (did you mean `jitter`?); expected one of `retries`, `minDelay`, `maxDelay`, `factor`, `jitter`.');
	});
});
