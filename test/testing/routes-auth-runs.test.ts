import {describe, expect, it} from 'vitest';
import type {Reply} from '../../src/testing/reply.js';
import {start, uuid, type Sim, simulate, request, send, run, code, account, string, withTier, withModel, expectCodeless} from './routes-support.js';

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
	const slow = (): Sim => simulate({tiers: withTier('pro', {requestsPerWindow: 2})});
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

	it('refuses the request past a token bucket\'s burst, though the tier\'s limit would admit it', () => {
		const sim = simulate({rateLimit: {algorithm: 'token-bucket', windowMs: 1000, burst: 2}, tiers: withTier('pro', {requestsPerWindow: 40})});
		expect(code(poll(sim, 'sim-pro-key', start))).toBe('EXECUTION_NOT_FOUND');
		expect(code(poll(sim, 'sim-pro-key', start))).toBe('EXECUTION_NOT_FOUND');
		expect(code(poll(sim, 'sim-pro-key', start))).toBe('RATE_LIMIT_EXCEEDED');
		// The refill is still the tier's 40 per second: a token every 25 ms.
		expect(code(poll(sim, 'sim-pro-key', start + 25))).toBe('EXECUTION_NOT_FOUND');
	});

	it('holds a sliding-log client back until its oldest request leaves the window, across the minute boundary', () => {
		const sim = simulate({rateLimit: {algorithm: 'sliding-log', windowMs: 60_000}, tiers: withTier('pro', {requestsPerWindow: 2})});
		const late = start - 1000;
		expect(code(poll(sim, 'sim-pro-key', late))).toBe('EXECUTION_NOT_FOUND');
		expect(code(poll(sim, 'sim-pro-key', late))).toBe('EXECUTION_NOT_FOUND');
		// A fixed window would start afresh at the boundary; the log still holds both requests.
		const limited = poll(sim, 'sim-pro-key', start);
		expect(code(limited)).toBe('RATE_LIMIT_EXCEEDED');
		expect(limited.headers).toEqual({'retry-after': '59'});
		expect(code(poll(sim, 'sim-pro-key', late + 60_000))).toBe('EXECUTION_NOT_FOUND');
	});

	it('tells a token-bucket client to wait one whole second when the bucket refills in milliseconds', () => {
		const sim = simulate({rateLimit: {algorithm: 'token-bucket', windowMs: 2000}, tiers: withTier('pro', {requestsPerWindow: 100})});
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
