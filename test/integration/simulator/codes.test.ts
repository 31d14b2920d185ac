import {afterEach, describe, expect, it} from 'vitest';
import {isKnoudsError, knoudsErrorCatalog, type KnoudsCode} from '../../../src/index.js';
import type {KnoudsSimulator, ScenarioInput} from '../../../src/testing/index.js';
import {field, knoudsErrorOf, setUp, simulators, surfaces, type SimCall} from './surfaces.js';

// Every terminal answer of the documented contract, each reached the way a real client would reach it.

const sims = simulators();
afterEach(sims.closeAll);

const pro = 'sim-pro-key';
const free = 'sim-free-key';
const run = (model: string, key: string | undefined, json: unknown = {inputs: {prompt: 'a lighthouse'}}, query = ''): SimCall =>
	({key, method: 'POST', path: `v1/models/${model}/run${query}`, json});

type TerminalCase = {
	readonly name: string;
	readonly status: number;
	/** The documented code; `undefined` for the codeless 401 and 404. */
	readonly code: KnoudsCode | undefined;
	/** How the simulator's stats count the answer. */
	readonly outcome: string;
	/** The request under test, possibly built from the body the last setup request got. */
	readonly call: SimCall | ((setupBody: unknown) => SimCall);
	/** Requests sent first with plain fetch, to bring the account into the state the code needs. */
	readonly setup?: (sim: KnoudsSimulator) => readonly SimCall[];
	readonly scenario?: ScenarioInput;
	readonly context?: {readonly required?: string; readonly attempted?: string; readonly providerStatus?: number};
	/** What the message tells the caller to do, when it is not the catalogue's action for the code. */
	readonly action?: string;
};

const cases: readonly TerminalCase[] = [
	{
		name: 'a model run whose inputs are an array ends with INVALID_INPUTS',
		status: 400, code: 'INVALID_INPUTS', outcome: 'INVALID_INPUTS', call: run('text-small', pro, {inputs: ['a lighthouse']}),
	},
	{
		name: 'a model run whose internalName has capitals and an underscore ends with INVALID_SLUG',
		status: 400, code: 'INVALID_SLUG', outcome: 'INVALID_SLUG', call: run('Text_Small', pro),
	},
	{
		name: 'a model run whose body is cut-off JSON ends with INVALID_BODY',
		status: 400, code: 'INVALID_BODY', outcome: 'INVALID_BODY', call: {key: pro, method: 'POST', path: 'v1/models/text-small/run', body: '{"inputs": {'},
	},
	{
		name: 'a key creation asking for a capability with an unknown verb ends with INVALID_CAPABILITY',
		status: 400, code: 'INVALID_CAPABILITY', outcome: 'INVALID_CAPABILITY', call: {key: pro, method: 'POST', path: 'v1/keys', json: {capabilities: ['model:fly']}},
	},
	{
		name: 'an async run of a model whose provider has no async mode ends with ASYNC_NOT_SUPPORTED',
		status: 400, code: 'ASYNC_NOT_SUPPORTED', outcome: 'ASYNC_NOT_SUPPORTED', call: run('image-fast', pro, undefined, '?async=true'),
	},
	{
		name: 'a model run with a key the API does not know ends with the codeless 401',
		status: 401, code: undefined, outcome: 'unauthorized', call: run('text-small', 'sim-revoked-key'), action: 'Check the `x-api-key` header',
	},
	{
		name: 'a model run without any x-api-key ends with the codeless 401',
		status: 401, code: undefined, outcome: 'unauthorized', call: run('text-small', undefined), action: 'Check the `x-api-key` header',
	},
	{
		name: 'a model run with a key created before May 2026 ends with LEGACY_KEY_RETIRED',
		status: 401, code: 'LEGACY_KEY_RETIRED', outcome: 'LEGACY_KEY_RETIRED', call: run('text-small', 'sim-legacy-key'),
	},
	{
		name: 'a model run by an account with no credits left ends with INSUFFICIENT_CREDITS',
		status: 402, code: 'INSUFFICIENT_CREDITS', outcome: 'INSUFFICIENT_CREDITS', call: run('text-small', 'sim-broke-key'),
	},
	{
		name: 'a free run after the trial grant for the model is used up ends with grant_exhausted',
		status: 402, code: 'grant_exhausted', outcome: 'grant_exhausted', call: run('image-fast', free),
		setup: sim => Array.from({length: sim.scenario.tiers['free']!.grants['image-fast']!}, (_, n) => run('image-fast', free, {inputs: {n}})),
	},
	{
		name: 'a model run with a key that may only read executions ends with CAPABILITY_DENIED naming model:run',
		status: 403, code: 'CAPABILITY_DENIED', outcome: 'CAPABILITY_DENIED', call: run('text-small', 'sim-read-only-key'),
		context: {required: 'model:run'}, action: 'Regenerate the API key with the "model:run" capability',
	},
	{
		name: 'a key creation asking for more than the tier allows ends with CAPABILITY_ABOVE_CEILING naming what was attempted',
		status: 403, code: 'CAPABILITY_ABOVE_CEILING', outcome: 'CAPABILITY_ABOVE_CEILING',
		call: {key: pro, method: 'POST', path: 'v1/keys', json: {capabilities: ['model:run', 'model:manage']}}, context: {attempted: 'model:manage'},
	},
	{
		name: 'a key creation by a free user ends with API_KEY_ACCESS_DENIED',
		status: 403, code: 'API_KEY_ACCESS_DENIED', outcome: 'API_KEY_ACCESS_DENIED', call: {key: free, method: 'POST', path: 'v1/keys', json: {capabilities: ['model:run']}},
	},
	{
		name: 'a free user running a Pro model ends with MODEL_TIER_REQUIRED',
		status: 403, code: 'MODEL_TIER_REQUIRED', outcome: 'MODEL_TIER_REQUIRED', call: run('video-pro', free),
	},
	{
		name: 'a free user creating a workflow beyond the cap ends with WORKFLOW_CAP_REACHED',
		status: 403, code: 'WORKFLOW_CAP_REACHED', outcome: 'WORKFLOW_CAP_REACHED',
		call: {key: free, method: 'POST', path: 'v1/workflows', json: {slug: 'second-flow', model: 'text-small'}},
		setup: () => [{key: free, method: 'POST', path: 'v1/workflows', json: {slug: 'first-flow', model: 'text-small'}}],
	},
	{
		name: 'a run of a disabled model ends with MODEL_NOT_FOUND',
		status: 404, code: 'MODEL_NOT_FOUND', outcome: 'MODEL_NOT_FOUND', call: run('text-retired', pro),
	},
	{
		name: 'reading another user\'s execution ends with EXECUTION_NOT_FOUND',
		status: 404, code: 'EXECUTION_NOT_FOUND', outcome: 'EXECUTION_NOT_FOUND',
		setup: () => [run('text-small', pro, undefined, '?async=true')],
		call: setupBody => ({key: free, method: 'GET', path: `v1/executions/${String(field(setupBody, 'executionId'))}`}),
	},
	{
		name: 'a run of a workflow slug the user does not own ends with the codeless 404',
		status: 404, code: undefined, outcome: 'not-found', call: {key: pro, method: 'POST', path: 'v1/workflows/no-such-flow/run', json: {inputs: {}}},
		action: 'no workflow you own has that slug',
	},
	{
		name: 'an async submit the provider rejects with 422 ends with PROVIDER_SUBMIT_FAILED, not retried',
		status: 500, code: 'PROVIDER_SUBMIT_FAILED', outcome: 'PROVIDER_SUBMIT_FAILED', call: run('text-small', pro, undefined, '?async=true'),
		scenario: {extends: 'default', faults: {providerSubmitFailed: 1, providerStatuses: [422]}},
		context: {providerStatus: 422}, action: 'The provider rejected the submission with 422',
	},
];

describe.each(surfaces)('through $name', surface => {
	it.each(cases)('$name after exactly one request', async testCase => {
		const {status, code, outcome, context = {}} = testCase;
		const sim = await sims.start({scenario: testCase.scenario});
		let setupBody: unknown;
		for (const step of testCase.setup?.(sim) ?? []) {
			setupBody = await setUp(sim, step);
		}

		const before = sim.stats();
		const call = typeof testCase.call === 'function' ? testCase.call(setupBody) : testCase.call;
		const error = knoudsErrorOf(await surface.run(sim.url, call, {random: () => 0}));
		const after = sim.stats();

		expect(after.requests - before.requests).toBe(1);
		expect((after.byOutcome[outcome] ?? 0) - (before.byOutcome[outcome] ?? 0)).toBe(1);
		expect(after.charges).toEqual(before.charges);
		expect(error).toMatchObject({
			status,
			code,
			retryable: false,
			attempts: 1,
			stopReason: 'terminal',
			retryAfterMs: undefined,
			required: context.required,
			attempted: context.attempted,
			providerStatus: context.providerStatus,
		});
		expect(error.request.method).toBe(call.method);
		expect(error.request.url).toBe(`${sim.url}/${call.path}`);
		expect(error.apiMessage).toBe(field(error.body, 'error'));
		expect(error.providerBody).toEqual(field(error.body, 'providerBody'));
		expect(error.providerBody === undefined).toBe(context.providerStatus === undefined);
		expect(error.message).toContain(error.apiMessage);
		expect(error.message).toContain(testCase.action ?? (code === undefined ? '' : knoudsErrorCatalog[code].action));
		if (code !== undefined) {
			expect(isKnoudsError(error, code)).toBe(true);
		}

		// The key is never echoed back in what the caller sees.
		expect(JSON.stringify(error)).not.toContain(call.key ?? 'no key sent');
	});
});
