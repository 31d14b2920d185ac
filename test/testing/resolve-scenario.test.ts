import {describe, expect, it} from 'vitest';
import {resolveScenario} from '../../src/testing/resolve-scenario.js';
import {scenarios} from '../../src/testing/scenarios.js';
import type {ScenarioInput, ScenarioName, SimulatorAccount, SimulatorModel, SimulatorTier} from '../../src/testing/types.js';

const names = Object.keys(scenarios) as ScenarioName[];

// Hand-written JSON reaches resolveScenario untyped, so the invalid inputs below skip the type checker.
const resolveLoose = (input: unknown) => resolveScenario(input as ScenarioInput);

const tier: SimulatorTier = {requestsPerWindow: 10, maxWorkflows: 2, canCreateKeys: false, capabilityCeiling: ['model:run'], grants: {}};
const account = (id: string, key: string, overrides: Partial<SimulatorAccount> = {}): SimulatorAccount =>
	({id, tier: 'basic', credits: 10, keys: [{key, createdAt: '2026-06-01T00:00:00.000Z', capabilities: ['model:run']}], ...overrides});
const model: SimulatorModel = {internalName: 'tiny', enabled: true, minTier: 'basic', price: 1, async: false, runMs: 0};
const world = {tiers: {basic: tier}, accounts: [account('solo', 'solo-key')], models: [model]};

describe('resolveScenario with a name', () => {
	it('resolves every named scenario to itself', () => {
		for (const name of names) {
			expect(resolveScenario(name)).toBe(scenarios[name]);
		}
	});

	it('resolves no scenario to the default one', () => {
		expect(resolveScenario(undefined)).toBe(scenarios.default);
	});

	it('ships only scenarios that pass its own checks', () => {
		for (const name of names) {
			const {name: resolvedName, ...rest} = resolveScenario({extends: name});
			const {name: baseName, ...base} = scenarios[name];
			expect(rest).toEqual(base);
			expect(resolvedName).toBe(`${baseName} (custom)`);
		}
	});

	it('rejects an unknown scenario name with a TypeError that names the option and the choices', () => {
		expect(() => resolveLoose('nope')).toThrow(TypeError);
		expect(() => resolveLoose('nope')).toThrow(/`scenario`.*'default', 'rate-limited', 'flaky-provider', 'outage', 'chaos'.*got 'nope'/);
	});

	it('rejects a value that is neither a name nor an object', () => {
		for (const input of [42, null, ['default'], true]) {
			expect(() => resolveLoose(input)).toThrow(TypeError);
			expect(() => resolveLoose(input)).toThrow(/`scenario`/);
		}
	});
});

describe('resolveScenario with a partial scenario', () => {
	it('extends the default scenario when no base is named', () => {
		const scenario = resolveScenario({seed: 7});
		expect(scenario.seed).toBe(7);
		expect(scenario.name).toBe('default (custom)');
		expect(scenario.tiers).toBe(scenarios.default.tiers);
		expect(scenario.faults).toEqual(scenarios.default.faults);
	});

	it('keeps a name that is given', () => {
		expect(resolveScenario({name: 'mine', extends: 'outage'}).name).toBe('mine');
	});

	it('merges faults field by field over the base', () => {
		const scenario = resolveScenario({extends: 'chaos', faults: {slow: 0, executionFailed: 1}});
		expect(scenario.faults).toEqual({...scenarios.chaos.faults, slow: 0, executionFailed: 1});
		expect(scenario.faults.proxyError).toBe(scenarios.chaos.faults.proxyError);
		expect(scenario.faults.slowMs).toBe(250);
	});

	it('merges rateLimit field by field over the base', () => {
		expect(resolveScenario({extends: 'chaos', rateLimit: {windowMs: 4000}}).rateLimit).toEqual({algorithm: 'token-bucket', windowMs: 4000});
		expect(resolveScenario({extends: 'chaos', rateLimit: {algorithm: 'fixed-window'}}).rateLimit).toEqual({algorithm: 'fixed-window', windowMs: 2000});
	});

	it('replaces tiers, accounts and models as wholes rather than merging them', () => {
		const scenario = resolveScenario({extends: 'rate-limited', ...world});
		expect(Object.keys(scenario.tiers)).toEqual(['basic']);
		expect(scenario.accounts.map(({id}) => id)).toEqual(['solo']);
		expect(scenario.models.map(({internalName}) => internalName)).toEqual(['tiny']);
		expect(scenario.rateLimit).toEqual(scenarios['rate-limited'].rateLimit);
	});

	it('keeps the base accounts and models when only the tiers are replaced, and then checks them against the new tiers', () => {
		// The default accounts are on the pro and free tiers, which a replacement without them removes.
		expect(() => resolveScenario({tiers: {basic: tier}})).toThrow(TypeError);
		expect(() => resolveScenario({tiers: {basic: tier}})).toThrow(/`accounts\[0\]\.tier`.*\(basic\).*got 'pro'/);
	});

	it('accepts replaced models that use the base tiers', () => {
		const scenario = resolveScenario({models: [{...model, minTier: 'free'}]});
		expect(scenario.models).toEqual([{...model, minTier: 'free'}]);
		expect(scenario.accounts).toBe(scenarios.default.accounts);
	});

	it('changes neither its input nor the shipped scenarios', () => {
		const input = {extends: 'chaos', faults: {slow: 0}, rateLimit: {windowMs: 10}} as const;
		const before = structuredClone(input);
		const chaos = structuredClone(scenarios.chaos);
		resolveScenario(input);
		expect(input).toEqual(before);
		expect(scenarios.chaos).toEqual(chaos);
	});
});

describe('resolveScenario refusals', () => {
	const rejects = (input: unknown, field: RegExp): void => {
		expect(() => resolveLoose(input)).toThrow(TypeError);
		expect(() => resolveLoose(input)).toThrow(field);
	};

	it('rejects an unknown base to extend', () => {
		rejects({extends: 'nope'}, /`scenario\.extends`.*got 'nope'/);
	});

	it('rejects a fault rate above 1, below 0, NaN or not a number', () => {
		rejects({faults: {executionFailed: 1.5}}, /`faults\.executionFailed` to be a rate between 0 and 1, got 1\.5/);
		rejects({faults: {providerIncomplete: Number.NaN}}, /`faults\.providerIncomplete`.*got NaN/);
		rejects({faults: {slow: -0.1}}, /`faults\.slow`/);
		rejects({faults: {proxyError: '0.5'}}, /`faults\.proxyError`/);
	});

	it('accepts the fault rates 0 and 1 themselves', () => {
		expect(resolveScenario({faults: {executionFailed: 1, proxyError: 0}}).faults.executionFailed).toBe(1);
	});

	it('rejects a negative or infinite slowMs', () => {
		rejects({faults: {slowMs: -1}}, /`faults\.slowMs`/);
		rejects({faults: {slowMs: Number.POSITIVE_INFINITY}}, /`faults\.slowMs`/);
	});

	it('rejects providerStatuses that are empty, not an array or not HTTP error statuses', () => {
		rejects({faults: {providerStatuses: []}}, /`faults\.providerStatuses`.*got an array/);
		rejects({faults: {providerStatuses: 503}}, /`faults\.providerStatuses`/);
		rejects({faults: {providerStatuses: [200]}}, /`faults\.providerStatuses`/);
		rejects({faults: {providerStatuses: [503.5]}}, /`faults\.providerStatuses`/);
	});

	it('rejects an outage with a negative start, a negative duration, an unknown answer or no object at all', () => {
		rejects({faults: {outage: {startMs: -1, durationMs: 10, respond: 'reset'}}}, /`faults\.outage`/);
		rejects({faults: {outage: {startMs: 0, durationMs: -10, respond: 'reset'}}}, /`faults\.outage`/);
		rejects({faults: {outage: {startMs: 0, durationMs: 10, respond: 'explode'}}}, /`faults\.outage`/);
		rejects({faults: {outage: 'soon'}}, /`faults\.outage`.*got 'soon'/);
		rejects({faults: {outage: undefined}}, /`faults\.outage`/);
	});

	it('accepts a well-formed outage and a null one', () => {
		const outage = {startMs: 0, durationMs: 10, respond: 'proxy-503'} as const;
		expect(resolveScenario({faults: {outage}}).faults.outage).toEqual(outage);
		expect(resolveScenario({extends: 'outage', faults: {outage: null}}).faults.outage).toBeNull();
	});

	it('rejects a windowMs that is zero, negative, infinite or NaN', () => {
		for (const windowMs of [0, -5, Number.POSITIVE_INFINITY, Number.NaN]) {
			rejects({rateLimit: {windowMs}}, /`rateLimit\.windowMs` to be a positive number of milliseconds/);
		}
	});

	it('rejects an unknown rate-limit algorithm, listing the three it offers', () => {
		rejects({rateLimit: {algorithm: 'leaky-bucket'}}, /`rateLimit\.algorithm`.*got 'leaky-bucket'/);
		rejects({rateLimit: {algorithm: 'leaky-bucket'}}, /^Expected `rateLimit\.algorithm` to be one of 'fixed-window', 'token-bucket', 'sliding-log', got 'leaky-bucket'\.$/);
	});

	it('accepts the sliding log, and a token bucket with a burst of its own', () => {
		expect(resolveScenario({rateLimit: {algorithm: 'sliding-log'}}).rateLimit).toEqual({algorithm: 'sliding-log', windowMs: 60_000});
		expect(resolveScenario({extends: 'chaos', rateLimit: {burst: 10}}).rateLimit).toEqual({algorithm: 'token-bucket', windowMs: 2000, burst: 10});
		expect(resolveScenario({rateLimit: {algorithm: 'token-bucket', windowMs: 1000, burst: 1}}).rateLimit).toEqual({algorithm: 'token-bucket', windowMs: 1000, burst: 1});
	});

	it('accepts a burst left undefined, as a JavaScript caller may write it, and keeps the default', () => {
		expect(resolveLoose({extends: 'chaos', rateLimit: {burst: undefined}}).rateLimit.burst).toBeUndefined();
		expect(resolveLoose({rateLimit: {burst: undefined}}).rateLimit.algorithm).toBe('fixed-window');
	});

	it('rejects a burst that is not a whole number of requests of at least 1', () => {
		for (const burst of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '10', null]) {
			rejects({extends: 'chaos', rateLimit: {burst}}, /^Expected `rateLimit\.burst` to be a whole number of requests of at least 1, got /);
		}
	});

	it('rejects a burst with an algorithm that has none, rather than ignore it', () => {
		rejects({rateLimit: {burst: 10}}, /^`rateLimit\.burst` is only read by the token bucket, and `rateLimit\.algorithm` is 'fixed-window'; expected no `burst`, or `rateLimit\.algorithm: 'token-bucket'`\.$/);
		rejects({rateLimit: {algorithm: 'sliding-log', burst: 10}}, /`rateLimit\.burst` is only read by the token bucket, and `rateLimit\.algorithm` is 'sliding-log'/);
		rejects({extends: 'chaos', rateLimit: {algorithm: 'fixed-window', burst: 10}}, /`rateLimit\.burst` is only read by the token bucket/);
	});

	it('rejects a seed that is not a 32-bit unsigned integer, since seeds beyond that would repeat others', () => {
		rejects({seed: 1.5}, /`scenario\.seed` to be an integer from 0 to 2\^32 - 1, got 1\.5/);
		rejects({seed: 2 ** 32}, /`scenario\.seed`/);
		rejects({seed: -1}, /`scenario\.seed`/);
		rejects({seed: '1'}, /`scenario\.seed`/);
		rejects({seed: 2 ** 60}, /`scenario\.seed`/);
	});

	it('rejects tiers that are not an object', () => {
		rejects({tiers: []}, /`tiers`/);
	});

	it('rejects a tier whose requestsPerWindow is not a positive integer', () => {
		rejects({...world, tiers: {basic: {...tier, requestsPerWindow: 0}}}, /`tiers\.basic\.requestsPerWindow`/);
		rejects({...world, tiers: {basic: {...tier, requestsPerWindow: 2.5}}}, /`tiers\.basic\.requestsPerWindow`/);
	});

	it('rejects an account whose tier does not exist', () => {
		rejects({...world, accounts: [account('solo', 'solo-key', {tier: 'gold'})]}, /`accounts\[0\]\.tier` to be one of the scenario's tiers \(basic\), got 'gold'/);
	});

	it('rejects a key that two accounts share, and a key an account repeats', () => {
		rejects({...world, accounts: [account('first', 'same-key'), account('second', 'same-key')]}, /`accounts\[1\]\.keys\[0\]\.key` to be a key no other key repeats, got 'same-key'/);
		const twice = account('solo', 'solo-key');
		rejects({...world, accounts: [{...twice, keys: [...twice.keys, ...twice.keys]}]}, /`accounts\[0\]\.keys\[1\]\.key` to be a key no other key repeats/);
	});

	it('rejects a key whose createdAt is not a date', () => {
		const bad = account('solo', 'solo-key');
		rejects({...world, accounts: [{...bad, keys: [{...bad.keys[0]!, createdAt: 'yesterday'}]}]}, /`accounts\[0\]\.keys\[0\]\.createdAt` to be an ISO date string, got 'yesterday'/);
	});

	it('rejects accounts that are not an array, or whose entries or keys are malformed', () => {
		rejects({accounts: {solo: account('solo', 'solo-key')}}, /`accounts` to be an array/);
		rejects({accounts: [null]}, /`accounts\[0\]`/);
		rejects({...world, accounts: [{...account('solo', 'solo-key'), keys: 'solo-key'}]}, /`accounts\[0\]\.keys`/);
		rejects({...world, accounts: [{...account('solo', 'solo-key'), keys: ['solo-key']}]}, /`accounts\[0\]\.keys\[0\]`/);
	});

	it('rejects models that are not an array of objects', () => {
		rejects({models: {tiny: model}}, /`models`/);
		rejects({models: ['tiny']}, /`models\[0\]`/);
	});

	it('rejects a model whose minTier does not exist', () => {
		rejects({...world, models: [{...model, minTier: 'platinum'}]}, /`models\[0\]\.minTier`.*got 'platinum'/);
	});
});

describe('resolveScenario refusals of fields that would otherwise fail at request time', () => {
	const refuses = (input: unknown, pattern: RegExp): void => {
		expect(() => resolveLoose(input)).toThrow(TypeError);
		expect(() => resolveLoose(input)).toThrow(pattern);
	};

	it('names a tier that is null instead of failing on a property read', () => {
		refuses({...world, tiers: {basic: null}}, /`tiers\.basic` to be a tier object, got null/);
	});

	it('rejects tier fields of the wrong kind', () => {
		refuses({...world, tiers: {basic: {...tier, maxWorkflows: -1}}}, /`tiers\.basic\.maxWorkflows`/);
		refuses({...world, tiers: {basic: {...tier, canCreateKeys: 'yes'}}}, /`tiers\.basic\.canCreateKeys` to be a boolean/);
		refuses({...world, tiers: {basic: {...tier, capabilityCeiling: 'model:run'}}}, /`tiers\.basic\.capabilityCeiling`/);
		refuses({...world, tiers: {basic: {...tier, grants: {tiny: 1.5}}}}, /`tiers\.basic\.grants\.tiny`/);
	});

	it('rejects a key without capabilities, and a createdAt that is a number', () => {
		const bare = {key: 'solo-key', createdAt: '2026-06-01T00:00:00.000Z'};
		refuses({...world, accounts: [{...account('solo', 'solo-key'), keys: [bare]}]}, /`accounts\[0\]\.keys\[0\]\.capabilities`/);
		refuses({...world, accounts: [{...account('solo', 'solo-key'), keys: [{...bare, capabilities: [], createdAt: 0}]}]}, /`accounts\[0\]\.keys\[0\]\.createdAt` to be an ISO date string, got 0/);
	});

	it('rejects credits that are not a non-negative number', () => {
		refuses({...world, accounts: [account('solo', 'solo-key', {credits: Number.NaN})]}, /`accounts\[0\]\.credits`/);
	});

	it('rejects an outage whose times are strings', () => {
		refuses({faults: {outage: {startMs: '0', durationMs: 10, respond: 'reset'}}}, /`faults\.outage`/);
	});

	it('rejects a model name that is not a slug, and two models of one name', () => {
		refuses({...world, models: [{...model, internalName: 'Tiny_Model'}]}, /`models\[0\]\.internalName` to be a slug/);
		refuses({...world, models: [model, model]}, /`models\[1\]\.internalName` to be a name no other model has/);
	});
});

describe('resolveScenario refusals of mistakes that used to pass silently', () => {
	const refuses = (input: unknown, pattern: RegExp): void => {
		expect(() => resolveLoose(input)).toThrow(pattern);
	};

	it('refuses a misspelt field at the top and inside faults, rateLimit and paths, naming it', () => {
		refuses({fault: {executionFailed: 1}}, /`fault` is not an option of a scenario/);
		refuses({extend: 'chaos'}, /`extend` is not an option of a scenario/);
		refuses({faults: {executionFaild: 1}}, /`executionFaild` is not an option of `faults`/);
		refuses({rateLimit: {window: 5}}, /`window` is not an option of `rateLimit`/);
		refuses({rateLimit: {bursts: 5}}, /`bursts` is not an option of `rateLimit`.*expected one of `algorithm`, `windowMs`, `burst`/);
		refuses({paths: {'POST /v1/key': '/keys'}}, /`POST \/v1\/key` is not an option of `paths`/);
	});

	it('refuses faults, rateLimit or paths that are not objects', () => {
		refuses({faults: 5}, /`faults` to be an object, got 5/);
		refuses({rateLimit: 'abc'}, /`rateLimit` to be an object/);
	});

	it('refuses two accounts with one id, and capabilities outside the grammar', () => {
		refuses({...world, accounts: [account('solo', 'a-key'), account('solo', 'b-key')]}, /`accounts\[1\]\.id` to be an id no other account has/);
		refuses({...world, accounts: [account('solo', 'a-key', {keys: [{key: 'a-key', createdAt: '2026-06-01T00:00:00.000Z', capabilities: ['model:fly']}]})]}, /`accounts\[0\]\.keys\[0\]\.capabilities`/);
		refuses({...world, tiers: {basic: {...tier, capabilityCeiling: ['model:fly']}}}, /`tiers\.basic\.capabilityCeiling`/);
	});

	it('refuses two routes at one path, and delays a timer cannot hold', () => {
		refuses({paths: {'POST /v1/keys': '/v1/workflows'}}, /`paths\['POST \/v1\/keys'\]` to be a path that no other POST route has/);
		refuses({faults: {slowMs: 2 ** 31}}, /`faults\.slowMs`/);
		refuses({...world, models: [{...model, runMs: 2 ** 31}]}, /`models\[0\]\.runMs`/);
	});
});
