import {fail} from '../validate.js';
import {scenarios} from './scenarios.js';
import type {ScenarioInput, ScenarioName, SimulatorFaults, SimulatorScenario} from './types.js';

const isRecord = (value: unknown): value is Record<string, unknown> =>
	typeof value === 'object' && value !== null && !Array.isArray(value);

// Not a type guard: the shape checks below must not narrow the scenario's own types.
const isObject = (value: unknown): boolean => isRecord(value);
const isArray = (value: unknown): boolean => Array.isArray(value);

const scenarioName = (value: unknown, option: string): ScenarioName => {
	if (typeof value === 'string' && Object.hasOwn(scenarios, value)) {
		return value as ScenarioName;
	}

	return fail(option, `one of ${Object.keys(scenarios).map(name => `'${name}'`).join(', ')}`, value);
};

const rateKeys = ['executionFailed', 'providerIncomplete', 'providerSubmitFailed', 'proxyError', 'resetBeforeRead', 'resetAfterRead', 'slow'] as const;

const checkFaults = (faults: SimulatorFaults): void => {
	for (const key of rateKeys) {
		const rate = faults[key];
		if (typeof rate !== 'number' || !(rate >= 0 && rate <= 1)) {
			fail(`faults.${key}`, 'a rate between 0 and 1', rate);
		}
	}

	if (!Number.isFinite(faults.slowMs) || faults.slowMs < 0) {
		fail('faults.slowMs', 'a non-negative number of milliseconds', faults.slowMs);
	}

	if (!isArray(faults.providerStatuses) || faults.providerStatuses.length === 0 || !faults.providerStatuses.every(status => Number.isInteger(status) && status >= 400 && status <= 599)) {
		fail('faults.providerStatuses', 'a non-empty array of HTTP error statuses (400 to 599)', faults.providerStatuses);
	}

	const {outage} = faults;
	if (outage !== null && (!isRecord(outage) || !(outage.startMs >= 0) || !(outage.durationMs >= 0) || !['execution-failed', 'proxy-503', 'reset'].includes(outage.respond))) {
		fail('faults.outage', '`null` or `{startMs, durationMs, respond: \'execution-failed\' | \'proxy-503\' | \'reset\'}`', outage);
	}
};

// The world must be consistent: every account's tier and every model's tier exists, and each key is unique.
const checkWorld = (scenario: SimulatorScenario): void => {
	if (!isRecord(scenario.tiers)) {
		fail('tiers', 'an object of tiers by name', scenario.tiers);
	}

	if (!isArray(scenario.accounts) || !scenario.accounts.every((account: unknown) => isObject(account) && isArray((account as {keys?: unknown}).keys) && (account as {keys: unknown[]}).keys.every(isObject))) {
		fail('accounts', 'an array of `{id, tier, credits, keys: [{key, createdAt, capabilities}]}`', scenario.accounts);
	}

	if (!isArray(scenario.models) || !scenario.models.every(isObject)) {
		fail('models', 'an array of `{internalName, enabled, minTier, price, async, runMs}`', scenario.models);
	}

	const tierNames = Object.keys(scenario.tiers);
	for (const [name, tier] of Object.entries(scenario.tiers)) {
		if (!Number.isInteger(tier.requestsPerMinute) || tier.requestsPerMinute < 1) {
			fail(`tiers.${name}.requestsPerMinute`, 'a positive integer', tier.requestsPerMinute);
		}
	}

	const keys = new Set<string>();
	for (const account of scenario.accounts) {
		if (!tierNames.includes(account.tier)) {
			fail(`accounts[${account.id}].tier`, `one of the scenario's tiers (${tierNames.join(', ')})`, account.tier);
		}

		for (const {key, createdAt} of account.keys) {
			if (keys.has(key)) {
				fail(`accounts[${account.id}].keys`, 'keys that are unique across accounts', key, 'repeats a key');
			}

			if (Number.isNaN(Date.parse(createdAt))) {
				fail(`accounts[${account.id}].keys.createdAt`, 'an ISO date', createdAt);
			}

			keys.add(key);
		}
	}

	for (const model of scenario.models) {
		if (!tierNames.includes(model.minTier)) {
			fail(`models[${model.internalName}].minTier`, `one of the scenario's tiers (${tierNames.join(', ')})`, model.minTier);
		}
	}
};

/**
Turns a scenario name or a partial scenario into a whole, checked scenario.
Throws a TypeError that names the offending field, so a hand-written JSON scenario fails clearly.
*/
export const resolveScenario = (input: ScenarioInput | undefined): SimulatorScenario => {
	if (input === undefined || typeof input === 'string') {
		return scenarios[scenarioName(input ?? 'default', 'scenario')];
	}

	if (!isRecord(input)) {
		return fail('scenario', 'a scenario name or a scenario object', input);
	}

	const base = scenarios[scenarioName(input.extends ?? 'default', 'scenario.extends')];
	const scenario: SimulatorScenario = {
		name: input.name ?? `${base.name} (custom)`,
		seed: input.seed ?? base.seed,
		rateLimit: {...base.rateLimit, ...input.rateLimit},
		tiers: input.tiers ?? base.tiers,
		accounts: input.accounts ?? base.accounts,
		models: input.models ?? base.models,
		faults: {...base.faults, ...input.faults},
	};
	if (!Number.isSafeInteger(scenario.seed)) {
		fail('scenario.seed', 'an integer', scenario.seed);
	}

	if (!['fixed-window', 'token-bucket'].includes(scenario.rateLimit.algorithm)) {
		fail('rateLimit.algorithm', '\'fixed-window\' or \'token-bucket\'', scenario.rateLimit.algorithm);
	}

	if (!(scenario.rateLimit.windowMs > 0 && Number.isFinite(scenario.rateLimit.windowMs))) {
		fail('rateLimit.windowMs', 'a positive number of milliseconds', scenario.rateLimit.windowMs);
	}

	checkFaults(scenario.faults);
	checkWorld(scenario);
	return scenario;
};
