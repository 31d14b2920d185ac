import {describe, expect, it} from 'vitest';
import {defaultIdempotentMethods, resolveOptions, resolveTimeout, type KnoudsRetryOptions} from '../src/options.js';
import {defaultPolicy} from '../src/policy.js';

// Typed for callers, but JavaScript callers can pass anything: test what they may really pass.
const resolve = (options: unknown, extraKeys: Readonly<Record<string, true>> = {}) =>
	resolveOptions(options as KnoudsRetryOptions, extraKeys, 'knoudsRetry()');

const rejects = (options: unknown, message: RegExp): void => {
	expect(() => resolve(options)).toThrow(TypeError);
	expect(() => resolve(options)).toThrow(message);
};

describe('resolveOptions defaults', () => {
	it('fills in every default for an empty object', () => {
		const resolved = resolve({});
		expect(resolved.policy).toBe(defaultPolicy);
		expect(resolved.maxRetryAfter).toBe(60_000);
		expect([...resolved.idempotentMethods]).toEqual(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS']);
		expect(resolved.onRetry).toBeUndefined();
		expect(resolved.shouldRetry).toBeUndefined();
		expect(resolved.random).toBe(Math.random);
		expect(Object.isFrozen(resolved)).toBe(true);
	});

	it('treats options set to undefined as not set', () => {
		const resolved = resolve({policy: undefined, maxRetryAfter: undefined, idempotentMethods: undefined, onRetry: undefined});
		expect(resolved.maxRetryAfter).toBe(60_000);
		expect(resolved.idempotentMethods).toEqual(new Set(defaultIdempotentMethods));
	});

	it('keeps the default idempotent methods frozen', () => {
		expect(Object.isFrozen(defaultIdempotentMethods)).toBe(true);
	});
});

describe('resolveOptions values', () => {
	it('upper-cases idempotent methods', () => {
		expect(resolve({idempotentMethods: ['post', 'Get']}).idempotentMethods).toEqual(new Set(['POST', 'GET']));
	});

	it('accepts an empty list of idempotent methods', () => {
		expect(resolve({idempotentMethods: []}).idempotentMethods.size).toBe(0);
	});

	it('accepts a maxRetryAfter of 0 or Infinity', () => {
		expect(resolve({maxRetryAfter: 0}).maxRetryAfter).toBe(0);
		expect(resolve({maxRetryAfter: Number.POSITIVE_INFINITY}).maxRetryAfter).toBe(Number.POSITIVE_INFINITY);
	});

	it('keeps the callbacks and random source it was given', () => {
		const onRetry = (): void => undefined;
		const shouldRetry = (): boolean => true;
		const random = (): number => 0.25;
		expect(resolve({onRetry, shouldRetry, random})).toMatchObject({onRetry, shouldRetry, random});
	});

	it('resolves the policy it was given', () => {
		expect(resolve({policy: {EXECUTION_FAILED: 7}}).policy.EXECUTION_FAILED).toMatchObject({retries: 7});
	});

	it('accepts the extra keys of the surface that calls it', () => {
		expect(() => resolve({timeout: 5000}, {timeout: true})).not.toThrow();
	});
});

describe('resolveOptions validation', () => {
	it('rejects an unknown top-level key, naming it and the surface', () => {
		rejects({retries: 3}, /`retries` is not an option of knoudsRetry\(\); expected one of `policy`, `maxRetryAfter`/);
	});

	it('rejects options that are not an object', () => {
		rejects(null, /`options` to be an object, got null/);
		rejects([], /`options`.*got an array/);
		rejects('fast', /`options`.*got 'fast'/);
	});

	it('rejects a negative, NaN or non-number maxRetryAfter', () => {
		rejects({maxRetryAfter: -1}, /`maxRetryAfter` to be a non-negative number of milliseconds \(or Infinity\), got -1/);
		rejects({maxRetryAfter: Number.NaN}, /`maxRetryAfter`.*got NaN/);
		rejects({maxRetryAfter: '60000'}, /`maxRetryAfter`.*got '60000'/);
	});

	it('rejects an onRetry, shouldRetry or random that is not a function', () => {
		rejects({onRetry: 'console.log'}, /`onRetry` to be a function, got 'console.log'/);
		rejects({shouldRetry: true}, /`shouldRetry` to be a function, got true/);
		rejects({random: 0.5}, /`random` to be a function, got 0\.5/);
	});

	it('rejects idempotentMethods that is not an array of strings', () => {
		rejects({idempotentMethods: 'GET'}, /`idempotentMethods` to be an array of method names, got 'GET'/);
		rejects({idempotentMethods: ['GET', 1]}, /`idempotentMethods`.*got an array/);
		rejects({idempotentMethods: new Set(['GET'])}, /`idempotentMethods`/);
	});

	it('describes an object value with the right article', () => {
		rejects({idempotentMethods: {GET: true}}, /`idempotentMethods`.*got an object\./);
	});

	it('reports invalid policy values under their full option name', () => {
		rejects({policy: {EXECUTION_FAILED: -1}}, /`policy\.EXECUTION_FAILED\.retries`/);
	});
});

describe('resolveTimeout', () => {
	it('reads undefined and false as no timeout', () => {
		expect(resolveTimeout('timeout', undefined)).toBeUndefined();
		expect(resolveTimeout('timeout', false)).toBeUndefined();
	});

	it('keeps a positive number of milliseconds', () => {
		expect(resolveTimeout('timeout', 5000)).toBe(5000);
		expect(resolveTimeout('totalTimeout', 0.5)).toBe(0.5);
	});

	it('rejects zero, negative, NaN, infinite and non-number timeouts, naming the option', () => {
		for (const value of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, true, '5000', null]) {
			expect(() => resolveTimeout('totalTimeout', value), String(value)).toThrow(/`totalTimeout` to be a positive number of milliseconds or `false`/);
		}
	});
});

describe('resolveOptions refusals of misspelt and misshapen options', () => {
	const refuses = (options: unknown, message: string): void => {
		expect(() => resolve(options)).toThrow(new TypeError(message));
	};

	it('refuses options given as a Map or a class instance, whose settings would be ignored', () => {
		refuses(new Map([['maxRetryAfter', 0]]), '`options` is an instance of Map, not a plain object (a Map\'s entries are not read as settings); expected an object.');
		refuses(new (class Options {
			maxRetryAfter = 0;
		})(), '`options` is an instance of Options, not a plain object; expected an object.');
	});

	it('names the option a misspelt one looks like', () => {
		expect(() => resolve({retryBuget: false})).toThrow(/^`retryBuget` is not an option of knoudsRetry\(\) \(did you mean `retryBudget`\?\); expected one of `policy`, /);
		expect(() => resolve({MaxRetryAfter: 0})).toThrow(/^`MaxRetryAfter` is not an option of knoudsRetry\(\) \(did you mean `maxRetryAfter`\?\); expected one of /);
	});
});
