import {checkKeys} from '../options.js';
import {fail, isRecord} from '../validate.js';
import {checkWorld} from './check-world.js';
import {createRouter} from './router.js';
import {scenarios} from './scenarios.js';
import type {ScenarioInput, ScenarioName, SimulatorFaults, SimulatorRateLimit, SimulatorScenario} from './types.js';

// Not a type guard: the checks below must not narrow the scenario's own types.
const isArray = (value: unknown): boolean => Array.isArray(value);

const scenarioName = (value: unknown, option: string): ScenarioName => {
	if (typeof value === 'string' && Object.hasOwn(scenarios, value)) {
		return value as ScenarioName;
	}

	return fail(option, `one of ${Object.keys(scenarios).map(name => `'${name}'`).join(', ')}`, value);
};

// Timers fire at once past 2^31 - 1 ms, so longer delays cannot be held.
const maxDelay = 2_147_483_647;

/** The largest seed a scenario takes: seeds are unsigned 32-bit integers. */
export const maxSeed = 2 ** 32 - 1;

const isMilliseconds = (value: unknown): boolean => typeof value === 'number' && value >= 0;

// Listed rather than read from the base, which leaves the optional burst out.
const rateLimitKeys = Object.keys({algorithm: true, windowMs: true, burst: true} satisfies {[K in keyof SimulatorRateLimit]-?: true});

const rateKeys = ['executionFailed', 'providerIncomplete', 'providerSubmitFailed', 'proxyError', 'resetBeforeRead', 'resetAfterRead', 'slow'] as const;

const checkFaults = (faults: SimulatorFaults): void => {
	for (const key of rateKeys) {
		const rate = faults[key];
		if (typeof rate !== 'number' || !(rate >= 0 && rate <= 1)) {
			fail(`faults.${key}`, 'a rate between 0 and 1', rate);
		}
	}

	if (typeof faults.slowMs !== 'number' || !(faults.slowMs >= 0 && faults.slowMs <= maxDelay)) {
		fail('faults.slowMs', 'a number of milliseconds from 0 to 2^31 - 1', faults.slowMs);
	}

	if (!isArray(faults.providerStatuses) || faults.providerStatuses.length === 0 || !faults.providerStatuses.every(status => Number.isInteger(status) && status >= 400 && status <= 599)) {
		fail('faults.providerStatuses', 'a non-empty array of HTTP error statuses (400 to 599)', faults.providerStatuses);
	}

	const {outage} = faults;
	if (outage !== null && (!isRecord(outage) || !isMilliseconds(outage.startMs) || !isMilliseconds(outage.durationMs) || !['execution-failed', 'proxy-503', 'reset'].includes(outage.respond))) {
		fail('faults.outage', '`null` or `{startMs, durationMs, respond: \'execution-failed\' | \'proxy-503\' | \'reset\'}`', outage);
	}
};

const algorithms: ReadonlyArray<SimulatorRateLimit['algorithm']> = ['fixed-window', 'token-bucket', 'sliding-log'];

const checkRateLimit = ({algorithm, windowMs, burst}: SimulatorRateLimit): void => {
	if (!algorithms.includes(algorithm)) {
		fail('rateLimit.algorithm', `one of ${algorithms.map(name => `'${name}'`).join(', ')}`, algorithm);
	}

	if (!(windowMs > 0 && Number.isFinite(windowMs))) {
		fail('rateLimit.windowMs', 'a positive number of milliseconds', windowMs);
	}

	// Undefined, as a JavaScript caller may spell "no burst", keeps the default.
	if (burst === undefined) {
		return;
	}

	// A burst the bucket would ignore is a mistake: the scenario would not test what its author meant.
	if (algorithm !== 'token-bucket') {
		fail('rateLimit.burst', 'no `burst`, or `rateLimit.algorithm: \'token-bucket\'`', burst, `is only read by the token bucket, and \`rateLimit.algorithm\` is '${algorithm}'`);
	}

	if (!(Number.isInteger(burst) && burst >= 1)) {
		fail('rateLimit.burst', 'a whole number of requests of at least 1', burst);
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

	checkKeys(input, {name: true, extends: true, seed: true, rateLimit: true, tiers: true, accounts: true, models: true, faults: true, paths: true}, 'a scenario');
	const base = scenarios[scenarioName(input.extends ?? 'default', 'scenario.extends')];
	for (const [field, known] of [['faults', Object.keys(base.faults)], ['rateLimit', rateLimitKeys], ['paths', Object.keys(base.paths)]] as const) {
		const value: unknown = input[field];
		if (value !== undefined && !isRecord(value)) {
			fail(field, 'an object', value);
		}

		checkKeys(value ?? {}, Object.fromEntries(known.map(key => [key, true])), `\`${field}\``);
	}

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
	if (!Number.isInteger(scenario.seed) || scenario.seed < 0 || scenario.seed > maxSeed) {
		fail('scenario.seed', 'an integer from 0 to 2^32 - 1', scenario.seed);
	}

	checkRateLimit(scenario.rateLimit);
	checkFaults(scenario.faults);
	// Compiling the paths checks them.
	createRouter(scenario.paths);
	checkWorld(scenario);
	return scenario;
};
