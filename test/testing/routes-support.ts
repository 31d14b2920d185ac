// Helpers that drive the simulator's routes directly, without HTTP.
import {expect} from 'vitest';
import {seededRandom, type Random} from '../../src/testing/random.js';
import type {Reply} from '../../src/testing/reply.js';
import {resolveScenario} from '../../src/testing/resolve-scenario.js';
import {createRouter, type RouteName} from '../../src/testing/router.js';
import {handle} from '../../src/testing/routes.js';
import {scenarios} from '../../src/testing/scenarios.js';
import {createState, type Account, type State} from '../../src/testing/state.js';
import type {ScenarioInput, SimulatorFaults, SimulatorModel, SimulatorScenario, SimulatorTier} from '../../src/testing/types.js';

// A minute boundary after the May 2026 key cut-off: the shipped keys are current at this time.
export const start = Date.parse('2026-06-01T00:00:00.000Z');
export const uuid = /^[\da-f]{8}-[\da-f]{4}-4[\da-f]{3}-[89ab][\da-f]{3}-[\da-f]{12}$/;

export type Sim = {readonly scenario: SimulatorScenario; readonly state: State; readonly random: Random};

export const simulate = (input: ScenarioInput = 'default', seed = 1): Sim => {
	const scenario = resolveScenario(input);
	const random = seededRandom(seed);
	return {scenario, state: createState(scenario), random};
};

export type Send = {readonly key?: string | undefined; readonly body?: unknown; readonly now?: number; readonly faults?: SimulatorFaults};

export const request = (sim: Sim, method: string, path: string, {key, body = '', now = start, faults = sim.scenario.faults}: Send = {}): {route: RouteName; reply: Reply} => {
	const url = new URL(`http://sim.invalid${path}`);
	const match = createRouter(sim.scenario.paths)(method, url.pathname);
	return {route: match.route, reply: handle(sim.state, {method, url, apiKey: key, body: typeof body === 'string' ? body : JSON.stringify(body)}, {faults, random: sim.random, now}, match)};
};

export const send = (sim: Sim, method: string, path: string, options: Send = {}): Reply => request(sim, method, path, options).reply;

export const run = (sim: Sim, model: string, key: string | undefined, options: Omit<Send, 'key'> & {readonly async?: boolean} = {}): Reply =>
	send(sim, 'POST', `/v1/models/${model}/run${options.async === true ? '?async=true' : ''}`, {body: {inputs: {prompt: 'hi'}}, ...options, key});

export const code = (reply: Reply): unknown => reply.body['code'];
export const account = (sim: Sim, id: string): Account => sim.state.accounts.get(id)!;
export const string = (value: unknown): string => {
	expect(typeof value).toBe('string');
	return value as string;
};

/** The default tiers with one tier's fields changed. */
export const withTier = (name: string, changes: Partial<SimulatorTier>): Readonly<Record<string, SimulatorTier>> =>
	({...scenarios.default.tiers, [name]: {...scenarios.default.tiers[name]!, ...changes}});

/** The default models with one model's fields changed. */
export const withModel = (internalName: string, changes: Partial<SimulatorModel>): SimulatorModel[] =>
	scenarios.default.models.map(model => model.internalName === internalName ? {...model, ...changes} : model);

export const expectCodeless = (reply: Reply, status: 401 | 404): void => {
	expect(reply.status).toBe(status);
	expect(Object.keys(reply.body)).toEqual(['error']);
	expect(typeof reply.body['error']).toBe('string');
};
