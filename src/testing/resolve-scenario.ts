import {fail} from '../validate.js';
import {checkWorld} from './check-world.js';
import {createRouter} from './router.js';
import {scenarios} from './scenarios.js';
import type {ScenarioInput, ScenarioName, SimulatorFaults, SimulatorScenario} from './types.js';

const isRecord = (value: unknown): value is Record<string, unknown> =>
	typeof value === 'object' && value !== null && !Array.isArray(value);

// Not a type guard: the checks below must not narrow the scenario's own types.
const isArray = (value: unknown): boolean => Array.isArray(value);

const scenarioName = (value: unknown, option: string): ScenarioName => {
	if (typeof value === 'string' && Object.hasOwn(scenarios, value)) {
		return value as ScenarioName;
	}

	return fail(option, `one of ${Object.keys(scenarios).map(name => `'${name}'`).join(', ')}`, value);
};

const isMilliseconds = (value: unknown): boolean => typeof value === 'number' && value >= 0;

const rateKeys = ['executionFailed', 'providerIncomplete', 'providerSubmitFailed', 'proxyError', 'resetBeforeRead', 'resetAfterRead', 'slow'] as const;

const checkFaults = (faults: SimulatorFaults): void => {
	for (const key of rateKeys) {
		const rate = faults[key];
		if (typeof rate !== 'number' || !(rate >= 0 && rate <= 1)) {
			fail(`faults.${key}`, 'a rate between 0 and 1', rate);
		}
	}

	if (typeof faults.slowMs !== 'number' || !Number.isFinite(faults.slowMs) || faults.slowMs < 0) {
		fail('faults.slowMs', 'a non-negative number of milliseconds', faults.slowMs);
	}

	if (!isArray(faults.providerStatuses) || faults.providerStatuses.length === 0 || !faults.providerStatuses.every(status => Number.isInteger(status) && status >= 400 && status <= 599)) {
		fail('faults.providerStatuses', 'a non-empty array of HTTP error statuses (400 to 599)', faults.providerStatuses);
	}

	const {outage} = faults;
	if (outage !== null && (!isRecord(outage) || !isMilliseconds(outage.startMs) || !isMilliseconds(outage.durationMs) || !['execution-failed', 'proxy-503', 'reset'].includes(outage.respond))) {
		fail('faults.outage', '`null` or `{startMs, durationMs, respond: \'execution-failed\' | \'proxy-503\' | \'reset\'}`', outage);
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
		paths: {...base.paths, ...input.paths},
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
	// Compiling the paths checks them.
	createRouter(scenario.paths);
	checkWorld(scenario);
	return scenario;
};
