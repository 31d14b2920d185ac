import {describe, expect, it} from 'vitest';
import type {Reply} from '../../src/testing/reply.js';
import type {SimulatorFaults} from '../../src/testing/types.js';
import {scenarios} from '../../src/testing/scenarios.js';
import {start, uuid, type Sim, simulate, send, run, code, account, string, withModel, expectCodeless} from './routes-support.js';

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
