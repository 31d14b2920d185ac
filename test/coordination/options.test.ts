import ky from 'ky';
import {describe, expect, it} from 'vitest';
import {resolveCoordination, type CoordinationOptions} from '../../src/coordination/options.js';
import {createMemoryStore} from '../../src/coordination/memory-store.js';
import type {KnoudsStore, StoreAnswer} from '../../src/coordination/store.js';
import {primitives} from '../support/store-ops.js';
import {createKnoudsFetch, knoudsRetry, type KnoudsFetchOptions, type KnoudsRetryOptions} from '../../src/index.js';

// Typed for callers, but JavaScript callers can pass anything: test what they may really pass.
const resolve = (options: unknown) => resolveCoordination(options as CoordinationOptions);

// The whole message: it names the option, says what was expected and what came, and a test that looked
// only for the option's name would pass with any message, or an empty one after it.
const rejects = (options: unknown, message: string): void => {
	expect(() => resolve(options)).toThrow(TypeError);
	expect(() => resolve(options)).toThrow(new TypeError(message));
};

const isStore = (value: unknown): boolean =>
	typeof value === 'object' && value !== null && typeof (value as Record<string, unknown>)['run'] === 'function';

describe('resolveCoordination defaults', () => {
	it.each([
		['an empty object', {}],
		['options set to undefined, which count as not set', {retryAfterGate: undefined, retryBudget: undefined, latch: undefined, rateLimit: undefined, store: undefined}],
	] as const)('fills in every default for %s', (_name, options) => {
		const {store, ...rest} = resolve(options);
		expect(rest).toEqual({
			gate: true,
			budget: {burst: 10, earn: 0.1},
			latch: {deadKey: true, credits: undefined, grant: undefined},
			requestsPerMinute: undefined,
			guarded: false,
		});
		expect(isStore(store)).toBe(true);
	});

	it('gives each client a store of its own by default', () => {
		expect(resolve({}).store).not.toBe(resolve({}).store);
	});

	it('gives a default store that works', async () => {
		const store = primitives(resolve({}).store);
		await store.set('k', 'v', 1000);
		expect(await store.get('k')).toBe('v');
	});
});

describe('resolveCoordination values', () => {
	it('turns the gate off', () => {
		expect(resolve({retryAfterGate: false}).gate).toBe(false);
	});

	it('turns the budget off with retryBudget false', () => {
		expect(resolve({retryBudget: false}).budget).toBeUndefined();
	});

	it('fills in the budget field that is not given', () => {
		expect(resolve({retryBudget: {burst: 3}}).budget).toEqual({burst: 3, earn: 0.1});
		expect(resolve({retryBudget: {earn: 0.5}}).budget).toEqual({burst: 10, earn: 0.5});
	});

	it('accepts a budget of zero', () => {
		expect(resolve({retryBudget: {burst: 0, earn: 0}}).budget).toEqual({burst: 0, earn: 0});
	});

	it('reads the latch times and deadKey', () => {
		expect(resolve({latch: {deadKey: false, INSUFFICIENT_CREDITS: 60_000, grant_exhausted: 3_600_000}}).latch)
			.toEqual({deadKey: false, credits: 60_000, grant: 3_600_000});
	});

	it('keeps the dead key latch on when only other latches are given', () => {
		expect(resolve({latch: {INSUFFICIENT_CREDITS: 1000}}).latch).toEqual({deadKey: true, credits: 1000, grant: undefined});
	});

	it('reads the requests per minute', () => {
		expect(resolve({rateLimit: {requestsPerMinute: 600}}).requestsPerMinute).toBe(600);
	});

	it('keeps the store it is given', () => {
		const store = createMemoryStore();
		expect(resolve({store}).store).toBe(store);
	});

	it('accepts a store whose method lives on its prototype, and bounds its steps', async () => {
		class PrototypeStore implements KnoudsStore {
			async run(ops: Parameters<KnoudsStore['run']>[0]): Promise<StoreAnswer> {
				return {now: 1000, results: ops.map(() => 0), stopped: false};
			}
		}

		const resolved = resolve({store: new PrototypeStore()});
		expect(resolved.guarded).toBe(true);
		expect(await resolved.store.run([{op: 'take', key: 'k', amount: 1, initial: 0, ttlMs: 1000}, {op: 'pace', key: 'p', intervalMs: 100, burst: 1, ttlMs: 1000}])).toEqual({now: 1000, results: [0, 0], stopped: false});
	});
});

describe('resolveCoordination errors', () => {
	it('refuses a retryAfterGate that is not a boolean', () => {
		rejects({retryAfterGate: 'yes'}, 'Expected `retryAfterGate` to be a boolean, got \'yes\'.');
		rejects({retryAfterGate: 1}, 'Expected `retryAfterGate` to be a boolean, got 1.');
	});

	it('refuses a retryBudget that is neither false nor an object', () => {
		rejects({retryBudget: 5}, 'Expected `retryBudget` to be `false` or `{burst, earn}`, got 5.');
		rejects({retryBudget: true}, 'Expected `retryBudget` to be `false` or `{burst, earn}`, got true.');
		rejects({retryBudget: 'off'}, 'Expected `retryBudget` to be `false` or `{burst, earn}`, got \'off\'.');
		rejects({retryBudget: [10, 0.1]}, 'Expected `retryBudget` to be `false` or `{burst, earn}`, got an array.');
	});

	it('refuses a negative or non-numeric burst', () => {
		rejects({retryBudget: {burst: -1}}, 'Expected `retryBudget.burst` to be a non-negative number, got -1.');
		rejects({retryBudget: {burst: '10'}}, 'Expected `retryBudget.burst` to be a non-negative number, got \'10\'.');
		rejects({retryBudget: {burst: Number.POSITIVE_INFINITY}}, 'Expected `retryBudget.burst` to be a non-negative number, got Infinity.');
	});

	it('refuses an earn that is NaN or negative', () => {
		rejects({retryBudget: {earn: Number.NaN}}, 'Expected `retryBudget.earn` to be a non-negative number, got NaN.');
		rejects({retryBudget: {earn: -0.1}}, 'Expected `retryBudget.earn` to be a non-negative number, got -0.1.');
	});

	it('refuses a latch that is not an object', () => {
		rejects({latch: 'x'}, 'Expected `latch` to be `{deadKey?: boolean, INSUFFICIENT_CREDITS?: ms, grant_exhausted?: ms}`, got \'x\'.');
		rejects({latch: true}, 'Expected `latch` to be `{deadKey?: boolean, INSUFFICIENT_CREDITS?: ms, grant_exhausted?: ms}`, got true.');
		rejects({latch: []}, 'Expected `latch` to be `{deadKey?: boolean, INSUFFICIENT_CREDITS?: ms, grant_exhausted?: ms}`, got an array.');
	});

	it('refuses a deadKey that is not a boolean', () => {
		rejects({latch: {deadKey: 'no'}}, 'Expected `latch` to be `{deadKey?: boolean, INSUFFICIENT_CREDITS?: ms, grant_exhausted?: ms}`, got an object.');
		rejects({latch: {deadKey: 0}}, 'Expected `latch` to be `{deadKey?: boolean, INSUFFICIENT_CREDITS?: ms, grant_exhausted?: ms}`, got an object.');
	});

	it('refuses an unknown latch name by name', () => {
		rejects({latch: {GRANT_EXHAUSTED: 1}}, '`latch.GRANT_EXHAUSTED` is not a latch (did you mean `grant_exhausted`?); expected one of `deadKey`, `INSUFFICIENT_CREDITS`, `grant_exhausted`.');
		expect(() => resolve({latch: {GRANT_EXHAUSTED: 1}})).toThrow(/is not a latch/);
		expect(() => resolve({latch: {GRANT_EXHAUSTED: 1}})).toThrow('`grant_exhausted`');
	});

	it('refuses a latch time that is zero, negative or not a number', () => {
		rejects({latch: {INSUFFICIENT_CREDITS: 0}}, 'Expected `latch.INSUFFICIENT_CREDITS` to be a positive number, got 0.');
		rejects({latch: {INSUFFICIENT_CREDITS: -5}}, 'Expected `latch.INSUFFICIENT_CREDITS` to be a positive number, got -5.');
		rejects({latch: {INSUFFICIENT_CREDITS: '60000'}}, 'Expected `latch.INSUFFICIENT_CREDITS` to be a positive number, got \'60000\'.');
		rejects({latch: {grant_exhausted: 0}}, 'Expected `latch.grant_exhausted` to be a positive number, got 0.');
		rejects({latch: {grant_exhausted: Number.NaN}}, 'Expected `latch.grant_exhausted` to be a positive number, got NaN.');
	});

	it('refuses a rateLimit without requestsPerMinute', () => {
		rejects({rateLimit: {}}, 'Expected `rateLimit` to be `{requestsPerMinute}`, got an object.');
		rejects({rateLimit: 600}, 'Expected `rateLimit` to be `{requestsPerMinute}`, got 600.');
		rejects({rateLimit: null}, 'Expected `rateLimit` to be `{requestsPerMinute}`, got null.');
	});

	it('refuses a requestsPerMinute that is not a positive number', () => {
		rejects({rateLimit: {requestsPerMinute: 0}}, 'Expected `rateLimit.requestsPerMinute` to be a positive number, got 0.');
		rejects({rateLimit: {requestsPerMinute: -60}}, 'Expected `rateLimit.requestsPerMinute` to be a positive number, got -60.');
		rejects({rateLimit: {requestsPerMinute: '600'}}, 'Expected `rateLimit.requestsPerMinute` to be a positive number, got \'600\'.');
		rejects({rateLimit: {requestsPerMinute: Number.POSITIVE_INFINITY}}, 'Expected `rateLimit.requestsPerMinute` to be a positive number, got Infinity.');
	});

	it('refuses a store that has no run method', () => {
		const message = 'Expected `store` to be a KnoudsStore (an object with a `run` method), got an object.';
		rejects({store: {}}, message);
		rejects({store: {run: 0}}, message);
		rejects({store: {run: 'run'}}, message);
		// A store of the old shape, with its six methods and no `run`, is refused as clearly.
		const methods = async (): Promise<undefined> => undefined;
		rejects({store: {get: methods, set: methods, add: methods, take: methods, reserve: methods, pace: methods}}, message);
		rejects({store: 'redis://localhost'}, 'Expected `store` to be a KnoudsStore (an object with a `run` method), got \'redis://localhost\'.');
	});

	it('names the method a store needs', () => {
		expect(() => resolve({store: {}})).toThrow(/`run`/);
	});

	it('accepts any object with a run function, whatever else it has', () => {
		const run = async (): Promise<StoreAnswer> => ({now: 0, results: [], stopped: false});
		expect(() => resolve({store: {run}})).not.toThrow();
		expect(() => resolve({store: {run, get: 'not a method'}})).not.toThrow();
	});
});

describe('coordination options through the public surfaces', () => {
	it('makes createKnoudsFetch throw the TypeError at creation', () => {
		const create = () => createKnoudsFetch({retryBudget: 5} as unknown as KnoudsFetchOptions);
		expect(create).toThrow(new TypeError('Expected `retryBudget` to be `false` or `{burst, earn}`, got 5.'));
	});

	it('makes knoudsRetry throw the TypeError at creation', () => {
		const create = () => knoudsRetry(ky.create(), {latch: {deadKey: 'no'}} as unknown as KnoudsRetryOptions);
		expect(create).toThrow(new TypeError('Expected `latch` to be `{deadKey?: boolean, INSUFFICIENT_CREDITS?: ms, grant_exhausted?: ms}`, got an object.'));
	});

	it('lets both surfaces accept valid coordination options', () => {
		const options = {retryAfterGate: false, retryBudget: false, latch: {INSUFFICIENT_CREDITS: 1000}, rateLimit: {requestsPerMinute: 60}, store: createMemoryStore()} as const;
		expect(() => createKnoudsFetch(options)).not.toThrow();
		expect(() => knoudsRetry(ky.create(), options)).not.toThrow();
	});
});

describe('resolveCoordination refusals of misspelt and misshapen settings', () => {
	const refuses = (options: unknown, message: string): void => {
		expect(() => resolve(options)).toThrow(new TypeError(message));
	};

	class Budget {
		burst = 2;
	}

	it('refuses a misspelt retryBudget setting, naming the one it looks like', () => {
		refuses({retryBudget: {brust: 2}}, '`retryBudget.brust` is not a setting of `retryBudget` (did you mean `burst`?); expected one of `burst`, `earn`.');
		refuses({retryBudget: {burst: 2, Earn: 0.5}}, '`retryBudget.Earn` is not a setting of `retryBudget` (did you mean `earn`?); expected one of `burst`, `earn`.');
	});

	it('refuses an unknown retryBudget setting without a hint when none is close', () => {
		refuses({retryBudget: {limit: 2}}, '`retryBudget.limit` is not a setting of `retryBudget`; expected one of `burst`, `earn`.');
	});

	it('refuses a misspelt rateLimit setting, naming the one it looks like', () => {
		refuses({rateLimit: {requestPerMinute: 600}}, '`rateLimit.requestPerMinute` is not a setting of `rateLimit` (did you mean `requestsPerMinute`?); expected one of `requestsPerMinute`.');
		refuses({rateLimit: {requestsPerMinute: 600, burst: 5}}, '`rateLimit.burst` is not a setting of `rateLimit`; expected one of `requestsPerMinute`.');
	});

	it('names the latch a misspelt one looks like', () => {
		refuses({latch: {grant_exhaust: 1000}}, '`latch.grant_exhaust` is not a latch (did you mean `grant_exhausted`?); expected one of `deadKey`, `INSUFFICIENT_CREDITS`, `grant_exhausted`.');
		refuses({latch: {GRANT_EXHAUSTED: 1000}}, '`latch.GRANT_EXHAUSTED` is not a latch (did you mean `grant_exhausted`?); expected one of `deadKey`, `INSUFFICIENT_CREDITS`, `grant_exhausted`.');
	});

	it.each([
		['retryBudget', new Map([['burst', 2]]), '`retryBudget` is an instance of Map, not a plain object (a Map\'s entries are not read as settings); expected `false` or `{burst, earn}`.'],
		['retryBudget', new Budget(), '`retryBudget` is an instance of Budget, not a plain object; expected `false` or `{burst, earn}`.'],
		['rateLimit', new Map([['requestsPerMinute', 600]]), '`rateLimit` is an instance of Map, not a plain object (a Map\'s entries are not read as settings); expected `{requestsPerMinute}`.'],
		['rateLimit', new (class Pace {
			requestsPerMinute = 600;
		})(), '`rateLimit` is an instance of Pace, not a plain object; expected `{requestsPerMinute}`.'],
		['latch', new Map([['deadKey', false]]), '`latch` is an instance of Map, not a plain object (a Map\'s entries are not read as settings); expected `{deadKey?: boolean, INSUFFICIENT_CREDITS?: ms, grant_exhausted?: ms}`.'],
		['latch', new Date(0), '`latch` is an instance of Date, not a plain object; expected `{deadKey?: boolean, INSUFFICIENT_CREDITS?: ms, grant_exhausted?: ms}`.'],
	])('refuses a %s that is not a plain object, saying what it is: %o', (name, value, message) => {
		refuses({[name]: value}, message);
	});

	it('refuses a requestsPerMinute so small that its spacing is longer than a timer can wait, saying the smallest it takes', () => {
		refuses({rateLimit: {requestsPerMinute: 1e-300}}, '`rateLimit.requestsPerMinute` is 1e-300, which spaces requests 6e+304 ms apart, longer than a timer can wait (2147483647 ms, about 24.8 days); expected a number of at least 0.000028 (one request every 24.8 days).');
		expect(() => resolve({rateLimit: {requestsPerMinute: 0.000_027_9}})).toThrow(/is 0\.0000279, which spaces requests 2150537634\.4086\d* ms apart, longer than a timer can wait/);
		expect(resolve({rateLimit: {requestsPerMinute: 0.000_028}}).requestsPerMinute).toBe(0.000_028);
	});

	it('makes both public surfaces refuse a misspelt nested setting at creation', () => {
		const message = '`retryBudget.brust` is not a setting of `retryBudget` (did you mean `burst`?); expected one of `burst`, `earn`.';
		expect(() => createKnoudsFetch({retryBudget: {brust: 2}} as unknown as KnoudsFetchOptions)).toThrow(new TypeError(message));
		expect(() => knoudsRetry(ky.create(), {retryBudget: {brust: 2}} as unknown as KnoudsRetryOptions)).toThrow(new TypeError(message));
	});
});
