import {describe, expect, it} from 'vitest';
import {seededRandom, type Random} from '../../src/testing/random.js';
import type {Reply} from '../../src/testing/reply.js';
import {resolveScenario} from '../../src/testing/resolve-scenario.js';
import {handle, type RouteName} from '../../src/testing/routes.js';
import {scenarios} from '../../src/testing/scenarios.js';
import {createState, type Account, type State} from '../../src/testing/state.js';
import type {ScenarioInput, SimulatorFaults, SimulatorModel, SimulatorScenario, SimulatorTier} from '../../src/testing/types.js';

// A minute boundary after the May 2026 key cut-off: the shipped keys are current at this time.
const start = Date.parse('2026-06-01T00:00:00.000Z');
const uuid = /^[\da-f]{8}-[\da-f]{4}-4[\da-f]{3}-[89ab][\da-f]{3}-[\da-f]{12}$/;

type Sim = {readonly scenario: SimulatorScenario; readonly state: State; readonly random: Random};

const simulate = (input: ScenarioInput = 'default', seed = 1): Sim => {
	const scenario = resolveScenario(input);
	const random = seededRandom(seed);
	return {scenario, state: createState(scenario, random), random};
};

type Send = {readonly key?: string | undefined; readonly body?: unknown; readonly now?: number; readonly faults?: SimulatorFaults};

const request = (sim: Sim, method: string, path: string, {key, body = '', now = start, faults = sim.scenario.faults}: Send = {}): {route: RouteName; reply: Reply} =>
	handle(sim.state, {method, url: new URL(`http://sim.invalid${path}`), apiKey: key, body: typeof body === 'string' ? body : JSON.stringify(body)}, {faults, random: sim.random, now});

const send = (sim: Sim, method: string, path: string, options: Send = {}): Reply => request(sim, method, path, options).reply;

const run = (sim: Sim, model: string, key: string | undefined, options: Omit<Send, 'key'> & {readonly async?: boolean} = {}): Reply =>
	send(sim, 'POST', `/v1/models/${model}/run${options.async === true ? '?async=true' : ''}`, {body: {inputs: {prompt: 'hi'}}, ...options, key});

const code = (reply: Reply): unknown => reply.body['code'];
const account = (sim: Sim, id: string): Account => sim.state.accounts.get(id)!;
const string = (value: unknown): string => {
	expect(typeof value).toBe('string');
	return value as string;
};

/** The default tiers with one tier's fields changed. */
const withTier = (name: string, changes: Partial<SimulatorTier>): Readonly<Record<string, SimulatorTier>> =>
	({...scenarios.default.tiers, [name]: {...scenarios.default.tiers[name]!, ...changes}});

/** The default models with one model's fields changed. */
const withModel = (internalName: string, changes: Partial<SimulatorModel>): SimulatorModel[] =>
	scenarios.default.models.map(model => model.internalName === internalName ? {...model, ...changes} : model);

const expectCodeless = (reply: Reply, status: 401 | 404): void => {
	expect(reply.status).toBe(status);
	expect(Object.keys(reply.body)).toEqual(['error']);
	expect(typeof reply.body['error']).toBe('string');
};

describe('authentication', () => {
	it('answers a request without a key with a codeless 401, whatever the route', () => {
		const sim = simulate();
		expectCodeless(run(sim, 'text-small', undefined), 401);
		expectCodeless(send(sim, 'GET', '/v1/nowhere'), 401);
	});

	it('answers an unknown key with a codeless 401', () => {
		const sim = simulate();
		expectCodeless(run(sim, 'text-small', 'sim-no-such-key'), 401);
		expectCodeless(run(sim, 'text-small', ''), 401);
	});

	it('answers the legacy key with 401 LEGACY_KEY_RETIRED on any route, before the route is looked at', () => {
		const sim = simulate();
		for (const reply of [run(sim, 'text-small', 'sim-legacy-key'), send(sim, 'GET', '/v1/nowhere', {key: 'sim-legacy-key'}), run(sim, 'Bad_Slug', 'sim-legacy-key')]) {
			expect(reply.status).toBe(401);
			expect(reply.body).toEqual({error: expect.stringContaining('May 2026') as unknown, code: 'LEGACY_KEY_RETIRED'});
		}

		expect(sim.state.ledger).toEqual([]);
	});

	it('reports the matched route with every answer, even a refused one', () => {
		const sim = simulate();
		expect(request(sim, 'POST', '/v1/models/text-small/run').route).toBe('POST /v1/models/:internalName/run');
		expect(request(sim, 'GET', '/v1/executions/x', {key: 'sim-legacy-key'}).route).toBe('GET /v1/executions/:id');
		expect(request(sim, 'POST', '/v1/workflows/flow/run', {key: 'sim-pro-key'}).route).toBe('POST /v1/workflows/:slug/run');
		expect(request(sim, 'GET', '/v1/keys', {key: 'sim-pro-key'}).route).toBe('unknown');
	});

	it('answers an unknown route or a wrong method with a codeless 404 once the key is accepted', () => {
		const sim = simulate();
		expectCodeless(send(sim, 'GET', '/v1/nowhere', {key: 'sim-pro-key'}), 404);
		expectCodeless(send(sim, 'GET', '/v1/models/text-small/run', {key: 'sim-pro-key'}), 404);
		expectCodeless(send(sim, 'POST', '/v1/executions/x', {key: 'sim-pro-key'}), 404);
	});
});

describe('rate limiting', () => {
	// Two requests a minute for Pro users, on the default fixed window aligned to the minute.
	const slow = (): Sim => simulate({tiers: withTier('pro', {requestsPerMinute: 2})});
	const poll = (sim: Sim, key: string, now: number): Reply => send(sim, 'GET', '/v1/executions/not-a-uuid', {key, now});

	it('answers 429 RATE_LIMIT_EXCEEDED with a Retry-After in whole seconds once the tier limit is used', () => {
		const sim = slow();
		expect(code(poll(sim, 'sim-pro-key', start))).toBe('EXECUTION_NOT_FOUND');
		expect(code(poll(sim, 'sim-pro-key', start + 1000))).toBe('EXECUTION_NOT_FOUND');
		const limited = poll(sim, 'sim-pro-key', start + 1500);
		expect(limited.status).toBe(429);
		expect(limited.body).toEqual({error: 'Rate limit exceeded', code: 'RATE_LIMIT_EXCEEDED'});
		// 58.5 s remain in the minute.
		expect(limited.headers).toEqual({'retry-after': '59'});
	});

	it('admits the next request once the Retry-After has passed', () => {
		const sim = slow();
		poll(sim, 'sim-pro-key', start);
		poll(sim, 'sim-pro-key', start);
		const limited = poll(sim, 'sim-pro-key', start + 30_250);
		const retryAfter = Number(limited.headers?.['retry-after']);
		expect(retryAfter).toBe(30);
		expect(code(poll(sim, 'sim-pro-key', start + 30_250 + (retryAfter * 1000) - 1000))).toBe('RATE_LIMIT_EXCEEDED');
		expect(code(poll(sim, 'sim-pro-key', start + 30_250 + (retryAfter * 1000)))).toBe('EXECUTION_NOT_FOUND');
	});

	it('counts requests per account: a second key of the account shares the limit, another account does not', () => {
		const sim = slow();
		poll(sim, 'sim-pro-key', start);
		poll(sim, 'sim-read-only-key', start);
		expect(code(poll(sim, 'sim-pro-key', start))).toBe('RATE_LIMIT_EXCEEDED');
		expect(code(poll(sim, 'sim-read-only-key', start))).toBe('RATE_LIMIT_EXCEEDED');
		// broke-user is on the Pro tier too, with a limiter of its own.
		expect(code(poll(sim, 'sim-broke-key', start))).toBe('EXECUTION_NOT_FOUND');
	});

	it('counts every authenticated request, including refused and unknown-route ones', () => {
		const sim = slow();
		expect(run(sim, 'Bad_Slug', 'sim-pro-key').status).toBe(400);
		expectCodeless(send(sim, 'GET', '/v1/nowhere', {key: 'sim-pro-key'}), 404);
		expect(code(run(sim, 'text-small', 'sim-pro-key'))).toBe('RATE_LIMIT_EXCEEDED');
		expect(code(send(sim, 'GET', '/v1/nowhere', {key: 'sim-pro-key'}))).toBe('RATE_LIMIT_EXCEEDED');
	});

	it('checks the key before the rate limit, and does not count refused keys', () => {
		const sim = slow();
		// The legacy key belongs to pro-user too, yet its refusals use none of the account's requests.
		for (let index = 0; index < 5; index++) {
			expect(code(poll(sim, 'sim-legacy-key', start))).toBe('LEGACY_KEY_RETIRED');
		}

		poll(sim, 'sim-pro-key', start);
		poll(sim, 'sim-pro-key', start);
		expect(code(poll(sim, 'sim-legacy-key', start))).toBe('LEGACY_KEY_RETIRED');
		expectCodeless(poll(sim, 'sim-nobody', start), 401);
	});

	it('answers the rate limit before any route check, so a limited bad request gets 429', () => {
		const sim = slow();
		poll(sim, 'sim-pro-key', start);
		poll(sim, 'sim-pro-key', start);
		expect(code(run(sim, 'Bad_Slug', 'sim-pro-key'))).toBe('RATE_LIMIT_EXCEEDED');
		expect(code(run(sim, 'no-such-model', 'sim-pro-key'))).toBe('RATE_LIMIT_EXCEEDED');
		expect(sim.state.ledger).toEqual([]);
	});

	it('tells a token-bucket client to wait one whole second when the bucket refills in milliseconds', () => {
		const sim = simulate({rateLimit: {algorithm: 'token-bucket', windowMs: 2000}, tiers: withTier('pro', {requestsPerMinute: 100})});
		for (let index = 0; index < 100; index++) {
			expect(code(poll(sim, 'sim-pro-key', start))).toBe('EXECUTION_NOT_FOUND');
		}

		const limited = poll(sim, 'sim-pro-key', start);
		expect(code(limited)).toBe('RATE_LIMIT_EXCEEDED');
		expect(limited.headers).toEqual({'retry-after': '1'});
		// The token is back after 20 ms, long before the second the header asks for.
		expect(code(poll(sim, 'sim-pro-key', start + 20))).toBe('EXECUTION_NOT_FOUND');
	});
});

describe('POST /v1/models/:internalName/run', () => {
	it('answers 400 INVALID_SLUG for a name that is not a slug, before the capability is checked', () => {
		const sim = simulate();
		for (const name of ['Bad_Slug', 'text.small', '-text', '%E0%A4%A']) {
			const reply = run(sim, name, 'sim-pro-key');
			expect(reply.status).toBe(400);
			expect(code(reply)).toBe('INVALID_SLUG');
		}

		expect(code(run(sim, 'Bad_Slug', 'sim-read-only-key'))).toBe('INVALID_SLUG');
	});

	it('decodes a percent-encoded name before checking it', () => {
		const sim = simulate();
		expect(run(sim, 'text%2Dsmall', 'sim-pro-key').status).toBe(200);
	});

	it('answers 403 CAPABILITY_DENIED with required model:run to a key without it, before the model is looked up', () => {
		const sim = simulate();
		for (const model of ['text-small', 'no-such-model', 'text-retired']) {
			const reply = run(sim, model, 'sim-read-only-key');
			expect(reply.status).toBe(403);
			expect(reply.body).toEqual({error: 'Insufficient capability', code: 'CAPABILITY_DENIED', required: 'model:run'});
		}
	});

	it('answers 404 MODEL_NOT_FOUND for an unknown model and for a disabled one, before the tier is checked', () => {
		const sim = simulate();
		for (const [model, key] of [['no-such-model', 'sim-pro-key'], ['text-retired', 'sim-pro-key'], ['no-such-model', 'sim-free-key']] as const) {
			const reply = run(sim, model, key);
			expect(reply.status).toBe(404);
			expect(code(reply)).toBe('MODEL_NOT_FOUND');
		}
	});

	it('answers 403 MODEL_TIER_REQUIRED to a Free key on a Pro model, before the body is read', () => {
		const sim = simulate();
		for (const body of [{inputs: {}}, 'not json']) {
			const reply = run(sim, 'video-pro', 'sim-free-key', {body});
			expect(reply.status).toBe(403);
			expect(code(reply)).toBe('MODEL_TIER_REQUIRED');
		}

		expect(run(sim, 'video-pro', 'sim-pro-key').status).toBe(200);
	});

	it('ranks tiers in the order the scenario lists them, so a higher tier may run a lower tier model', () => {
		const sim = simulate({models: withModel('text-small', {minTier: 'pro'})});
		expect(code(run(sim, 'text-small', 'sim-free-key'))).toBe('MODEL_TIER_REQUIRED');
		expect(run(sim, 'text-small', 'sim-pro-key').status).toBe(200);
	});

	it('answers 400 INVALID_BODY to a body that is not a JSON object', () => {
		const sim = simulate();
		for (const body of ['', 'not json', '[]', '"text"', 'null', '42', '{"inputs":']) {
			const reply = run(sim, 'text-small', 'sim-pro-key', {body});
			expect(reply.status).toBe(400);
			expect(code(reply)).toBe('INVALID_BODY');
		}
	});

	it('answers 400 INVALID_INPUTS when inputs is missing, an array, null or not an object', () => {
		const sim = simulate();
		for (const body of [{}, {inputs: []}, {inputs: null}, {inputs: 'text'}, {inputs: 3}, {input: {}}]) {
			const reply = run(sim, 'text-small', 'sim-pro-key', {body});
			expect(reply.status).toBe(400);
			expect(code(reply)).toBe('INVALID_INPUTS');
		}

		expect(sim.state.ledger).toEqual([]);
	});

	it('answers 400 ASYNC_NOT_SUPPORTED to an async run of a model without async, before billing', () => {
		const sim = simulate();
		const reply = run(sim, 'image-fast', 'sim-pro-key', {async: true});
		expect(reply.status).toBe(400);
		expect(code(reply)).toBe('ASYNC_NOT_SUPPORTED');
		// The broke account would be refused for credits, but the async check comes first.
		expect(code(run(sim, 'image-fast', 'sim-broke-key', {async: true}))).toBe('ASYNC_NOT_SUPPORTED');
		expect(sim.state.ledger).toEqual([]);
	});

	it('runs a model without async synchronously, and only async=true asks for async', () => {
		const sim = simulate();
		expect(run(sim, 'image-fast', 'sim-pro-key').status).toBe(200);
		expect(send(sim, 'POST', '/v1/models/image-fast/run?async=1', {key: 'sim-pro-key', body: {inputs: {}}}).status).toBe(200);
		expect(run(sim, 'text-small', 'sim-pro-key', {async: true}).status).toBe(202);
	});

	it('answers 402 INSUFFICIENT_CREDITS to an account whose balance is below the price, and charges nothing', () => {
		const sim = simulate();
		const reply = run(sim, 'text-small', 'sim-broke-key');
		expect(reply.status).toBe(402);
		expect(reply.body).toEqual({error: 'Insufficient credits', code: 'INSUFFICIENT_CREDITS'});
		expect(account(sim, 'broke-user').credits).toBe(0);
		expect(sim.state.ledger).toEqual([]);
		expect(sim.state.executions.size).toBe(0);
	});

	it('refuses for credits only when the balance is below the price, not when it equals it', () => {
		const sim = simulate();
		account(sim, 'broke-user').credits = 50;
		expect(run(sim, 'video-pro', 'sim-broke-key').status).toBe(200);
		expect(account(sim, 'broke-user').credits).toBe(0);
		expect(code(run(sim, 'video-pro', 'sim-broke-key'))).toBe('INSUFFICIENT_CREDITS');
	});

	it('bills a Free user to the trial grant and answers 402 grant_exhausted after its last run, whatever the balance', () => {
		const sim = simulate();
		const free = account(sim, 'free-user');
		for (let remaining = 4; remaining >= 0; remaining--) {
			const reply = run(sim, 'image-fast', 'sim-free-key');
			expect(reply.status).toBe(200);
			expect(reply.body).toMatchObject({creditsCharged: 0, grantRunsRemaining: remaining});
		}

		const exhausted = run(sim, 'image-fast', 'sim-free-key');
		expect(exhausted.status).toBe(402);
		expect(code(exhausted)).toBe('grant_exhausted');
		// 100 credits would pay for image-fast 25 times, but a model with a grant is never billed in credits.
		expect(free.credits).toBe(100);
		expect(free.credits).toBeGreaterThan(sim.state.models.get('image-fast')!.price);
		expect(code(run(sim, 'image-fast', 'sim-free-key'))).toBe('grant_exhausted');
		expect(free.grantsUsed.get('image-fast')).toBe(5);
		expect(sim.state.ledger).toHaveLength(5);
		expect(sim.state.ledger.every(charge => charge.grant && charge.credits === 0 && charge.model === 'image-fast')).toBe(true);
	});

	it('keeps each model grant separate', () => {
		const sim = simulate();
		for (let index = 0; index < 5; index++) {
			run(sim, 'image-fast', 'sim-free-key');
		}

		expect(code(run(sim, 'image-fast', 'sim-free-key'))).toBe('grant_exhausted');
		expect(run(sim, 'text-small', 'sim-free-key').body).toMatchObject({creditsCharged: 0, grantRunsRemaining: 24});
	});

	it('charges a successful run exactly the model price once and appends one ledger entry', () => {
		const sim = simulate();
		const reply = run(sim, 'video-pro', 'sim-pro-key');
		expect(reply.status).toBe(200);
		const executionId = string(reply.body['executionId']);
		expect(executionId).toMatch(uuid);
		expect(reply.body).toEqual({executionId, status: 'succeeded', output: {model: 'video-pro', echo: {prompt: 'hi'}}, creditsCharged: 50, creditsRemaining: 999_950});
		expect(account(sim, 'pro-user').credits).toBe(999_950);
		expect(sim.state.ledger).toEqual([{executionId, accountId: 'pro-user', model: 'video-pro', credits: 50, grant: false}]);
	});

	it('holds a sync answer back for the model run time', () => {
		const sim = simulate({models: withModel('text-small', {runMs: 1234})});
		expect(run(sim, 'text-small', 'sim-pro-key').delayMs).toBe(1234);
		expect(run(sim, 'image-fast', 'sim-pro-key').delayMs).toBe(0);
	});
});

describe('async executions and GET /v1/executions/:id', () => {
	const slowText = (): Sim => simulate({models: withModel('text-small', {runMs: 5000})});

	it('shows an async execution as running until its run time has passed, then as succeeded', () => {
		const sim = slowText();
		const submitted = run(sim, 'text-small', 'sim-pro-key', {async: true});
		expect(submitted.status).toBe(202);
		const executionId = string(submitted.body['executionId']);
		expect(submitted.body).toEqual({executionId, status: 'running', creditsCharged: 1, creditsRemaining: 999_999});
		const poll = (now: number): Reply => send(sim, 'GET', `/v1/executions/${executionId}`, {key: 'sim-pro-key', now});
		expect(poll(start)).toEqual({status: 200, body: {executionId, model: 'text-small', status: 'running'}});
		expect(poll(start + 4999).body).toEqual({executionId, model: 'text-small', status: 'running'});
		expect(poll(start + 5000).body).toEqual({executionId, model: 'text-small', status: 'succeeded', output: {model: 'text-small', echo: {prompt: 'hi'}}});
		expect(poll(start + 60_000).body['status']).toBe('succeeded');
	});

	it('charges an async run once at submit, however often it is polled', () => {
		const sim = slowText();
		const executionId = string(run(sim, 'text-small', 'sim-pro-key', {async: true}).body['executionId']);
		for (const now of [start, start + 1000, start + 5000, start + 9000]) {
			send(sim, 'GET', `/v1/executions/${executionId}`, {key: 'sim-pro-key', now});
		}

		expect(sim.state.ledger).toEqual([{executionId, accountId: 'pro-user', model: 'text-small', credits: 1, grant: false}]);
		expect(account(sim, 'pro-user').credits).toBe(999_999);
	});

	it('lets another key of the same account read the execution, and accepts the id in upper case', () => {
		const sim = slowText();
		const executionId = string(run(sim, 'text-small', 'sim-pro-key', {async: true}).body['executionId']);
		expect(send(sim, 'GET', `/v1/executions/${executionId}`, {key: 'sim-read-only-key'}).status).toBe(200);
		expect(send(sim, 'GET', `/v1/executions/${executionId.toUpperCase()}`, {key: 'sim-pro-key'}).body['executionId']).toBe(executionId);
	});

	it('answers 404 EXECUTION_NOT_FOUND for another user execution, an unknown id and a malformed id', () => {
		const sim = slowText();
		const executionId = string(run(sim, 'text-small', 'sim-pro-key', {async: true}).body['executionId']);
		const unknown = '00000000-0000-4000-8000-000000000000';
		for (const [id, key] of [[executionId, 'sim-broke-key'], [unknown, 'sim-pro-key'], ['not-a-uuid', 'sim-pro-key'], [`${executionId}x`, 'sim-pro-key']] as const) {
			const reply = send(sim, 'GET', `/v1/executions/${id}`, {key});
			expect(reply.status).toBe(404);
			expect(code(reply)).toBe('EXECUTION_NOT_FOUND');
		}
	});

	it('answers 403 CAPABILITY_DENIED with required execution:read to a key without it, before the id is looked up', () => {
		const sim = simulate({accounts: [{id: 'runner', tier: 'pro', credits: 10, keys: [{key: 'run-only', createdAt: '2026-06-01T00:00:00.000Z', capabilities: ['model:run']}]}]});
		const executionId = string(run(sim, 'text-small', 'run-only', {async: true}).body['executionId']);
		for (const id of [executionId, 'not-a-uuid']) {
			const reply = send(sim, 'GET', `/v1/executions/${id}`, {key: 'run-only'});
			expect(reply.status).toBe(403);
			expect(reply.body).toMatchObject({code: 'CAPABILITY_DENIED', required: 'execution:read'});
		}
	});
});

describe('workflows', () => {
	const create = (sim: Sim, key: string, body: unknown): Reply => send(sim, 'POST', '/v1/workflows', {key, body});
	const runFlow = (sim: Sim, slug: string, key: string, async = false): Reply =>
		send(sim, 'POST', `/v1/workflows/${slug}/run${async ? '?async=true' : ''}`, {key, body: {inputs: {prompt: 'hi'}}});

	it('creates a Free user first workflow and answers a repeated create with the same workflow', () => {
		const sim = simulate();
		expect(create(sim, 'sim-free-key', {slug: 'first-flow', model: 'text-small'})).toEqual({status: 201, body: {slug: 'first-flow', model: 'text-small'}});
		expect(create(sim, 'sim-free-key', {slug: 'first-flow', model: 'text-small'})).toEqual({status: 200, body: {slug: 'first-flow', model: 'text-small'}});
		expect(account(sim, 'free-user').workflows.size).toBe(1);
	});

	it('answers 403 WORKFLOW_CAP_REACHED to a Free user second workflow', () => {
		const sim = simulate();
		create(sim, 'sim-free-key', {slug: 'first-flow', model: 'text-small'});
		const reply = create(sim, 'sim-free-key', {slug: 'second-flow', model: 'text-small'});
		expect(reply.status).toBe(403);
		expect(code(reply)).toBe('WORKFLOW_CAP_REACHED');
		expect([...account(sim, 'free-user').workflows.keys()]).toEqual(['first-flow']);
	});

	it('lets a Pro user create workflows without a cap', () => {
		const sim = simulate();
		for (let index = 0; index < 10; index++) {
			expect(create(sim, 'sim-pro-key', {slug: `flow-${index}`, model: 'text-small'}).status).toBe(201);
		}
	});

	it('refuses a create without capability, with a bad body, a bad slug or a disabled model', () => {
		const sim = simulate();
		expect(create(sim, 'sim-read-only-key', {slug: 'flow', model: 'text-small'}).body).toMatchObject({code: 'CAPABILITY_DENIED', required: 'workflow:create'});
		expect(code(create(sim, 'sim-pro-key', {slug: 'flow'}))).toBe('INVALID_BODY');
		expect(code(create(sim, 'sim-pro-key', 'not json'))).toBe('INVALID_BODY');
		expect(code(create(sim, 'sim-pro-key', {slug: 'Bad Flow', model: 'text-small'}))).toBe('INVALID_SLUG');
		expect(code(create(sim, 'sim-pro-key', {slug: 'flow', model: 'text-retired'}))).toBe('MODEL_NOT_FOUND');
		expect(code(create(sim, 'sim-pro-key', {slug: 'flow', model: 'no-such-model'}))).toBe('MODEL_NOT_FOUND');
		expect(account(sim, 'pro-user').workflows.size).toBe(0);
	});

	it('runs a workflow through its model, billed like a model run', () => {
		const sim = simulate();
		create(sim, 'sim-free-key', {slug: 'first-flow', model: 'text-small'});
		const reply = runFlow(sim, 'first-flow', 'sim-free-key');
		expect(reply.status).toBe(200);
		expect(reply.body).toMatchObject({status: 'succeeded', output: {model: 'text-small'}, creditsCharged: 0, grantRunsRemaining: 24});
		expect(runFlow(sim, 'first-flow', 'sim-free-key', true).status).toBe(202);
	});

	it('answers a codeless 404 for an unknown workflow slug and for another user workflow', () => {
		const sim = simulate();
		create(sim, 'sim-free-key', {slug: 'first-flow', model: 'text-small'});
		expectCodeless(runFlow(sim, 'no-such-flow', 'sim-free-key'), 404);
		expectCodeless(runFlow(sim, 'first-flow', 'sim-pro-key'), 404);
	});

	it('checks the slug and the workflow:run capability before looking the workflow up', () => {
		const sim = simulate();
		expect(code(runFlow(sim, 'Bad_Flow', 'sim-pro-key'))).toBe('INVALID_SLUG');
		expect(runFlow(sim, 'no-such-flow', 'sim-read-only-key').body).toMatchObject({code: 'CAPABILITY_DENIED', required: 'workflow:run'});
	});

	it('answers MODEL_TIER_REQUIRED when a Free user workflow uses a Pro model', () => {
		const sim = simulate();
		expect(create(sim, 'sim-free-key', {slug: 'video-flow', model: 'video-pro'}).status).toBe(201);
		expect(code(runFlow(sim, 'video-flow', 'sim-free-key'))).toBe('MODEL_TIER_REQUIRED');
	});
});

describe('POST /v1/keys', () => {
	const createKey = (sim: Sim, key: string, body: unknown, now = start): Reply => send(sim, 'POST', '/v1/keys', {key, body, now});

	it('answers 403 API_KEY_ACCESS_DENIED to a Free user, whatever the body', () => {
		const sim = simulate();
		for (const body of [{capabilities: ['model:run']}, 'not json']) {
			const reply = createKey(sim, 'sim-free-key', body);
			expect(reply.status).toBe(403);
			expect(code(reply)).toBe('API_KEY_ACCESS_DENIED');
		}
	});

	it('answers 403 CAPABILITY_DENIED with required key:create to a Pro key without it', () => {
		const sim = simulate();
		expect(createKey(sim, 'sim-read-only-key', {capabilities: ['model:run']}).body).toMatchObject({code: 'CAPABILITY_DENIED', required: 'key:create'});
	});

	it('answers 400 INVALID_BODY without a non-empty array of capability strings', () => {
		const sim = simulate();
		for (const body of [{}, {capabilities: []}, {capabilities: 'model:run'}, {capabilities: ['model:run', 7]}, 'not json']) {
			expect(code(createKey(sim, 'sim-pro-key', body))).toBe('INVALID_BODY');
		}
	});

	it('answers 400 INVALID_CAPABILITY to a malformed capability, even next to one above the ceiling', () => {
		const sim = simulate();
		for (const capabilities of [['model:fly'], ['model:run', 'key:create:x'], ['model:manage', 'model:run:Bad_Slug']]) {
			const reply = createKey(sim, 'sim-pro-key', {capabilities});
			expect(reply.status).toBe(400);
			expect(code(reply)).toBe('INVALID_CAPABILITY');
		}
	});

	it('answers 403 CAPABILITY_ABOVE_CEILING naming the attempted capability', () => {
		const sim = simulate();
		const reply = createKey(sim, 'sim-pro-key', {capabilities: ['model:run', 'model:manage']});
		expect(reply.status).toBe(403);
		expect(reply.body).toMatchObject({code: 'CAPABILITY_ABOVE_CEILING', attempted: 'model:manage'});
	});

	it('creates a key that is then accepted, with exactly the capabilities asked for', () => {
		const sim = simulate();
		const reply = createKey(sim, 'sim-pro-key', {capabilities: ['model:run:text-small', 'execution:read']}, start + 1234);
		expect(reply.status).toBe(201);
		const key = string(reply.body['key']);
		expect(key).toMatch(/^sim-[\da-f-]{36}$/);
		expect(reply.body).toEqual({key, createdAt: new Date(start + 1234).toISOString(), capabilities: ['model:run:text-small', 'execution:read']});

		const ran = run(sim, 'text-small', key, {async: true});
		expect(ran.status).toBe(202);
		expect(send(sim, 'GET', `/v1/executions/${string(ran.body['executionId'])}`, {key}).status).toBe(200);
		expect(run(sim, 'image-fast', key).body).toMatchObject({code: 'CAPABILITY_DENIED', required: 'model:run'});
		expect(createKey(sim, key, {capabilities: ['model:run']}).body).toMatchObject({code: 'CAPABILITY_DENIED', required: 'key:create'});
		// The key belongs to the account that created it.
		expect(sim.state.ledger.map(({accountId}) => accountId)).toEqual(['pro-user']);
	});
});

describe('injected faults', () => {
	const faulty = (faults: Partial<SimulatorFaults>): Sim => simulate({faults});

	it('answers 500 EXECUTION_FAILED at every run when executionFailed is 1, and charges nothing', () => {
		const sim = faulty({executionFailed: 1});
		for (const async of [false, true]) {
			const reply = run(sim, 'text-small', 'sim-pro-key', {async});
			expect(reply.status).toBe(500);
			expect(code(reply)).toBe('EXECUTION_FAILED');
		}

		expect(code(run(sim, 'image-fast', 'sim-free-key'))).toBe('EXECUTION_FAILED');
		expect(sim.state.ledger).toEqual([]);
		expect(sim.state.executions.size).toBe(0);
		expect(account(sim, 'pro-user').credits).toBe(1_000_000);
		expect(account(sim, 'free-user').grantsUsed.size).toBe(0);
	});

	it('answers 500 PROVIDER_RESPONSE_INCOMPLETE to a sync run when providerIncomplete is 1, and charges nothing', () => {
		const sim = faulty({providerIncomplete: 1});
		const reply = run(sim, 'video-pro', 'sim-pro-key');
		expect(reply.status).toBe(500);
		expect(code(reply)).toBe('PROVIDER_RESPONSE_INCOMPLETE');
		expect(code(run(sim, 'image-fast', 'sim-free-key'))).toBe('PROVIDER_RESPONSE_INCOMPLETE');
		expect(sim.state.ledger).toEqual([]);
		expect(account(sim, 'pro-user').credits).toBe(1_000_000);
		expect(account(sim, 'free-user').grantsUsed.size).toBe(0);
	});

	it('accepts an async run when providerIncomplete is 1, charges nothing and shows the execution as failed', () => {
		const sim = faulty({providerIncomplete: 1});
		const submitted = run(sim, 'text-small', 'sim-pro-key', {async: true});
		expect(submitted.status).toBe(202);
		const executionId = string(submitted.body['executionId']);
		expect(submitted.body).toEqual({executionId, status: 'running'});
		expect(send(sim, 'GET', `/v1/executions/${executionId}`, {key: 'sim-pro-key'}).body).toMatchObject({status: 'failed', code: 'PROVIDER_RESPONSE_INCOMPLETE'});
		expect(sim.state.ledger).toEqual([]);
		expect(account(sim, 'pro-user').credits).toBe(1_000_000);
	});

	it('answers 500 PROVIDER_SUBMIT_FAILED to an async submit when providerSubmitFailed is 1, with the provider status and body', () => {
		const sim = faulty({providerSubmitFailed: 1});
		const statuses = new Set<unknown>();
		for (let index = 0; index < 30; index++) {
			const reply = run(sim, 'text-small', 'sim-pro-key', {async: true});
			expect(reply.status).toBe(500);
			expect(code(reply)).toBe('PROVIDER_SUBMIT_FAILED');
			const {providerStatus, providerBody} = reply.body;
			expect(sim.scenario.faults.providerStatuses).toContain(providerStatus);
			expect(JSON.parse(string(providerBody))).toEqual({error: `upstream ${String(providerStatus)}`});
			statuses.add(providerStatus);
		}

		// Thirty draws from three statuses meet every one of them under this seed.
		expect(statuses).toEqual(new Set([503, 429, 422]));
		expect(sim.state.ledger).toEqual([]);
		expect(sim.state.executions.size).toBe(0);
		expect(account(sim, 'pro-user').credits).toBe(1_000_000);
	});

	it('reports the one provider status a scenario lists, and leaves sync runs alone', () => {
		const sim = faulty({providerSubmitFailed: 1, providerStatuses: [418]});
		expect(run(sim, 'text-small', 'sim-pro-key', {async: true}).body).toMatchObject({code: 'PROVIDER_SUBMIT_FAILED', providerStatus: 418});
		expect(run(sim, 'text-small', 'sim-pro-key').status).toBe(200);
		expect(sim.state.ledger).toHaveLength(1);
	});

	it('takes the faults from the environment of each request rather than from the scenario', () => {
		const sim = simulate();
		const failing = {...sim.scenario.faults, executionFailed: 1};
		expect(code(run(sim, 'text-small', 'sim-pro-key', {faults: failing}))).toBe('EXECUTION_FAILED');
		expect(run(sim, 'text-small', 'sim-pro-key').status).toBe(200);
	});

	it('checks the request and the billing before drawing any fault', () => {
		const sim = faulty({executionFailed: 1, providerIncomplete: 1, providerSubmitFailed: 1});
		expect(code(run(sim, 'text-small', 'sim-broke-key'))).toBe('INSUFFICIENT_CREDITS');
		expect(code(run(sim, 'text-small', 'sim-pro-key', {body: {inputs: []}}))).toBe('INVALID_INPUTS');
		expect(code(run(sim, 'image-fast', 'sim-pro-key', {async: true}))).toBe('ASYNC_NOT_SUPPORTED');
	});
});

describe('determinism', () => {
	const outcomes = (seed: number): unknown[] => {
		const sim = simulate({faults: {executionFailed: 0.3, providerIncomplete: 0.2, providerSubmitFailed: 0.3}}, seed);
		return Array.from({length: 20}, (_, index) => {
			const {body} = run(sim, 'text-small', 'sim-pro-key', {async: index % 2 === 0, now: start + index});
			return body['executionId'] ?? body['code'];
		});
	};

	it('gives the same execution ids, in the same order, under the same seed', () => {
		const ids = (seed: number): string[] => {
			const sim = simulate('default', seed);
			return Array.from({length: 5}, () => string(run(sim, 'text-small', 'sim-pro-key').body['executionId']));
		};

		const first = ids(1);
		expect(ids(1)).toEqual(first);
		expect(new Set(first).size).toBe(5);
		for (const id of first) {
			expect(id).toMatch(uuid);
		}

		expect(ids(2)).not.toEqual(first);
	});

	it('replays the same faults and ids request by request under the same seed', () => {
		const first = outcomes(42);
		expect(outcomes(42)).toEqual(first);
		expect(new Set(first.filter(value => typeof value === 'string' && !uuid.test(value))).size).toBeGreaterThan(0);
		expect(outcomes(43)).not.toEqual(first);
	});
});

describe('regressions', () => {
	it('accepts a key it created even when the simulator clock reads a time before the legacy cut-off', () => {
		const sim = simulate();
		const created = send(sim, 'POST', '/v1/keys', {key: 'sim-pro-key', body: {capabilities: ['model:run']}, now: 0});
		expect(created.status).toBe(201);
		expect(run(sim, 'text-small', string(created.body['key']), {now: 0}).status).toBe(200);
	});

	it('answers INVALID_CAPABILITY, not a crash, to a capability named like an object property', () => {
		const sim = simulate();
		expect(code(send(sim, 'POST', '/v1/keys', {key: 'sim-pro-key', body: {capabilities: ['constructor:run']}}))).toBe('INVALID_CAPABILITY');
	});

	it('charges credits for a model named constructor, which no trial grant covers', () => {
		const sim = simulate({models: [...scenarios.default.models, {internalName: 'constructor', enabled: true, minTier: 'free', price: 3, async: false, runMs: 0}]});
		const reply = run(sim, 'constructor', 'sim-pro-key');
		expect(reply.body).toMatchObject({creditsCharged: 3});
		expect(sim.state.ledger).toEqual([expect.objectContaining({model: 'constructor', credits: 3, grant: false})]);
	});

	it('lets a sync run be read back through GET /v1/executions/:id', () => {
		const sim = simulate();
		const ran = run(sim, 'text-small', 'sim-pro-key');
		const read = send(sim, 'GET', `/v1/executions/${string(ran.body['executionId'])}`, {key: 'sim-pro-key'});
		expect(read.body).toMatchObject({status: 'succeeded', output: ran.body['output']});
	});
});
