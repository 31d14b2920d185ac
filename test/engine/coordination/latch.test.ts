import {beforeAll, describe, expect, it, vi} from 'vitest';
import {createMemoryStore, KnoudsError} from '../../../src/index.js';
import {api, arrivals, knoudsBody, secretKey} from '../../support/http.js';
import {useFakeClock} from '../../support/clock.js';
import {recording} from '../../support/store-ops.js';
import {knoudsErrorOf, type Outcome} from '../../support/surfaces.js';
import {calls, clientSurfaces, settleAll, warmUp, type ClientCall, type ClientSurface} from './clients.js';

beforeAll(warmUp);

const otherKey = 'kn_live_OTHER-fedcba9876543210';
const flux = '/v1/models/flux/run';
const sdxl = '/v1/models/sdxl/run';

const deadKeys = [
	{name: 'the codeless 401', code: undefined, body: knoudsBody(undefined, 'Invalid API key')},
	{name: 'LEGACY_KEY_RETIRED', code: 'LEGACY_KEY_RETIRED', body: knoudsBody('LEGACY_KEY_RETIRED', 'This API key is retired')},
] as const;

// The error a call that sent nothing reports: the same answer as the one latched, marked as latched.
const expectLatched = (surface: ClientSurface, error: KnoudsError, original: KnoudsError): void => {
	expect(error).toBeInstanceOf(KnoudsError);
	expect(error).toMatchObject({status: original.status, code: original.code, body: original.body, apiMessage: original.apiMessage, stopReason: 'latched'});
	expect(error.message).toContain('No request sent');
	// Regression: knoudsRetry(ky) reported attempts 1 for a call that sent nothing.
	expect(error.attempts).toBe(0);
};

describe.each(clientSurfaces)('$name', surface => {
	describe.each(deadKeys)('after $name', ({code, body}) => {
		it('fails a later call with the same key at once, with the same typed error and no request', async () => {
			const seen = arrivals();
			api().get('/run').reply(seen.reply(401, body));
			const client = surface.create();
			const original = knoudsErrorOf(await client({path: '/run'}));
			expect(original).toMatchObject({status: 401, code, stopReason: 'terminal'});
			expectLatched(surface, knoudsErrorOf(await client({path: '/run'})), original);
			// The key is dead whatever it asks for.
			expectLatched(surface, knoudsErrorOf(await client({path: flux, method: 'POST', json: {}})), original);
			expect(seen.times).toHaveLength(1);
		});

		it('still sends a call with another key', async () => {
			const seen = arrivals();
			api().get('/run').reply(seen.reply(401, body)).get('/run').matchHeader('x-api-key', otherKey).reply(seen.reply(200, {ok: true}));
			const client = surface.create();
			await client({path: '/run'});
			expect(await client({path: '/run', key: otherKey})).toEqual({kind: 'ok', status: 200, body: {ok: true}});
			expect(seen.times).toHaveLength(2);
		});

		it('sends later calls again with latch: {deadKey: false}', async () => {
			const seen = arrivals();
			api().get('/run').times(2).reply(seen.reply(401, body));
			const client = surface.create({latch: {deadKey: false}});
			await client({path: '/run'});
			expect(knoudsErrorOf(await client({path: '/run'})).stopReason).toBe('terminal');
			expect(seen.times).toHaveLength(2);
		});
	});

	it('does not latch INSUFFICIENT_CREDITS by default', async () => {
		const seen = arrivals();
		api().get('/run').reply(seen.reply(402, knoudsBody('INSUFFICIENT_CREDITS'))).get('/run').reply(seen.reply(200, {}));
		const client = surface.create();
		expect(knoudsErrorOf(await client({path: '/run'})).code).toBe('INSUFFICIENT_CREDITS');
		expect((await client({path: '/run'})).kind).toBe('ok');
		expect(seen.times).toHaveLength(2);
	});

	it('latches INSUFFICIENT_CREDITS for the configured time when asked to, then sends again', async () => {
		useFakeClock();
		const seen = arrivals();
		api().get('/run').reply(seen.reply(402, knoudsBody('INSUFFICIENT_CREDITS', 'Insufficient credits'))).get('/run').reply(seen.reply(200, {}));
		const client = surface.create({latch: {INSUFFICIENT_CREDITS: 60_000}});
		const original = knoudsErrorOf(await client({path: '/run'}));
		expectLatched(surface, knoudsErrorOf(await client({path: '/run'})), original);
		await vi.advanceTimersByTimeAsync(59_999);
		expectLatched(surface, knoudsErrorOf(await client({path: '/other'})), original);
		expect(seen.times).toHaveLength(1);
		await vi.advanceTimersByTimeAsync(1);
		expect((await client({path: '/run'})).kind).toBe('ok');
		expect(seen.times).toHaveLength(2);
	});

	it('holds calls to the model whose grant is exhausted, but not calls to another model', async () => {
		const seen = arrivals();
		api().post(flux).reply(seen.reply(402, knoudsBody('grant_exhausted', 'Trial grant used up'))).post(sdxl).reply(seen.reply(200, {model: 'sdxl'}));
		const client = surface.create({latch: {grant_exhausted: 3_600_000}});
		const original = knoudsErrorOf(await client({path: flux, method: 'POST', json: {}}));
		expectLatched(surface, knoudsErrorOf(await client({path: flux, method: 'POST', json: {}})), original);
		expect(await client({path: sdxl, method: 'POST', json: {}})).toEqual({kind: 'ok', status: 200, body: {model: 'sdxl'}});
		expect(seen.times).toHaveLength(2);
	});

	it('never puts the API key into the store, in a key or a value', async () => {
		// Every operation of every step the client asks for, and every answer it gets. On the fake clock: the
		// store's steps run on the clock it is made with.
		useFakeClock();
		const {store, ops, answers} = recording(createMemoryStore());
		const held = (): string[] => [
			...ops.flatMap(op => Object.values(op).map(String)),
			...answers.flatMap(answer => answer.results.map(String)),
		];
		api().get('/run').reply(500, knoudsBody('EXECUTION_FAILED')).get('/run').reply(200, {})
			.get('/run').reply(429, knoudsBody('RATE_LIMIT_EXCEEDED'), {'retry-after': '1'}).get('/run').reply(200, {})
			.post(flux).reply(402, knoudsBody('grant_exhausted')).get('/run').reply(401, knoudsBody(undefined, 'Invalid API key'));
		const client = surface.create({store, timeout: false, random: () => 0, rateLimit: {requestsPerMinute: 600}, latch: {grant_exhausted: 60_000}});
		const run = async (call: ClientCall): Promise<Outcome> => {
			const started = calls();
			started.start(client(call));
			await settleAll(started);
			return started.outcomes[0]!;
		};

		await run({path: '/run'});
		await run({path: '/run'});
		await run({path: flux, method: 'POST', json: {}});
		await run({path: '/run'});
		expect(knoudsErrorOf(await run({path: '/run'})).stopReason).toBe('latched');
		// The store did hold the shared state, the latched answer among it.
		expect(ops.length).toBeGreaterThan(10);
		// The latches' keys (read with absent, written with set), the gate, the budget and the pacer among them.
		expect([...new Set(ops.map(op => op.op))]).toEqual(expect.arrayContaining(['absent', 'init', 'reserve', 'set', 'setUntil', 'add', 'take']));
		expect(held().some(item => item.includes('Invalid API key'))).toBe(true);
		for (const item of held()) {
			expect(item).not.toContain(secretKey);
			expect(item).not.toContain(secretKey.slice(8));
		}
	});
});
