import {beforeAll, describe, expect, it, vi} from 'vitest';
import {createKnoudsFetch, createMemoryStore} from '../../../src/index.js';
import {api, arrivals, knoudsBody} from '../../support/http.js';
import {until, useFakeClock} from '../../support/clock.js';
import {recording} from '../../support/store-ops.js';
import {knoudsErrorOf} from '../../support/surfaces.js';
import {calls, clientSurfaces, settleAll, warmUp} from './clients.js';

beforeAll(warmUp);

describe.each(clientSurfaces)('$name', surface => {
	it('replays a latched empty-body 401 as the same error: no body, and the message says so', async () => {
		api().get('/run').reply(401, '');
		const client = surface.create();
		const original = knoudsErrorOf(await client({path: '/run'}));
		const latched = knoudsErrorOf(await client({path: '/run'}));
		expect([latched.stopReason, latched.body, latched.apiMessage]).toEqual(['latched', original.body, original.apiMessage]);
		expect(original.body).toBeUndefined();
		expect(latched.message).toContain('empty body');
	});

	it('lets a call retry past the latch it set itself, when shouldRetry forces a retry', async () => {
		const seen = arrivals();
		api().get('/run').reply(seen.reply(401, knoudsBody(undefined, 'Invalid API key'))).get('/run').reply(seen.reply(200, {ok: true}));
		const client = surface.create({shouldRetry: () => true, random: () => 0});
		expect((await client({path: '/run'})).kind).toBe('ok');
		expect(seen.times).toHaveLength(2);
	});

	it('lets a call retry past a credits latch it set itself, when its policy retries the code', async () => {
		const seen = arrivals();
		api().get('/run').reply(seen.reply(402, knoudsBody('INSUFFICIENT_CREDITS'))).get('/run').reply(seen.reply(200, {ok: true}));
		const client = surface.create({policy: {INSUFFICIENT_CREDITS: 1}, latch: {INSUFFICIENT_CREDITS: 60_000}, random: () => 0});
		expect((await client({path: '/run'})).kind).toBe('ok');
		expect(seen.times).toHaveLength(2);
	});

	it('waits out a gate longer than a timer can hold without polling the store in a loop', async () => {
		useFakeClock();
		const {store, steps} = recording(createMemoryStore());
		api().get('/run').reply(429, knoudsBody('RATE_LIMIT_EXCEEDED'), {'retry-after': String(30 * 24 * 3600)});
		const client = surface.create({store, maxRetryAfter: Number.POSITIVE_INFINITY, policy: {RATE_LIMIT_EXCEEDED: false}});
		expect(knoudsErrorOf(await client({path: '/run'})).code).toBe('RATE_LIMIT_EXCEEDED');
		void client({path: '/run'});
		await vi.advanceTimersByTimeAsync(200);
		const afterStart = steps.length;
		// The call looked only at whether a latch was set: the gate it waits on is the one its client closed.
		expect(steps.at(-1)?.map(op => op.key)).toEqual(['latch']);
		await vi.advanceTimersByTimeAsync(1000);
		expect(steps.length - afterStart).toBe(0);
		// A timer's limit (24.8 days) later it wakes, and waits again for the rest without asking the store.
		await vi.advanceTimersByTimeAsync(2 ** 31 - 1);
		expect(steps.length - afterStart).toBe(0);
	});

	it('spaces calls the gate held by the pacer\'s interval once it opens, instead of sending them together', async () => {
		useFakeClock();
		const t0 = Date.now();
		const seen = arrivals();
		api().get('/run').reply(seen.reply(429, knoudsBody('RATE_LIMIT_EXCEEDED'), {'retry-after': '5'})).get('/run').times(7).reply(seen.reply(200, {}));
		const client = surface.create({timeout: false, rateLimit: {requestsPerMinute: 60}, policy: {RATE_LIMIT_EXCEEDED: false}});
		expect(knoudsErrorOf(await client({path: '/run'})).code).toBe('RATE_LIMIT_EXCEEDED');
		const started = calls();
		for (let index = 0; index < 7; index++) {
			started.start(client({path: '/run'}));
		}

		await settleAll(started);
		expect(seen.times.map(time => time - t0)).toEqual([0, 5000, 6000, 7000, 8000, 9000, 10_000, 11_000]);
	});

	it('sends a learned window\'s worth at once after a quiet spell longer than that window, not one at a time', async () => {
		useFakeClock();
		let served = 0;
		let inFlight = 0;
		let peak = 0;
		let release: () => void = () => undefined;
		const held = new Promise<void>(resolve => {
			release = resolve;
		});
		api().get('/run').times(12).reply(async () => {
			served++;
			if (served === 4) {
				return [429, knoudsBody('RATE_LIMIT_EXCEEDED'), {'retry-after': '1'}];
			}

			if (served > 7) {
				inFlight++;
				peak = Math.max(peak, inFlight);
				await held;
				inFlight--;
			}

			return [200, {}];
		});
		const client = surface.create({timeout: false, policy: {RATE_LIMIT_EXCEEDED: false}});
		// Three admitted, then a 429: the client learns that a window admits three.
		for (let index = 0; index < 4; index++) {
			await client({path: '/run'});
		}

		await vi.advanceTimersByTimeAsync(1000);
		// The next window's three slots are used; then nothing happens for a while.
		for (let index = 0; index < 3; index++) {
			await client({path: '/run'});
		}

		await vi.advanceTimersByTimeAsync(60_000);
		const started = calls();
		for (let index = 0; index < 5; index++) {
			started.start(client({path: '/run'}));
		}

		await until(() => peak >= 3);
		release();
		await settleAll(started);
		expect(peak).toBeGreaterThanOrEqual(3);
		expect(started.settled().every(outcome => outcome.kind === 'ok')).toBe(true);
	});
});

describe('a client made before fake timers were installed', () => {
	it('waits out a Retry-After on fake time, as its caller\'s test expects, and then sends', async () => {
		let sent = 0;
		const knoudsFetch = createKnoudsFetch({fetch: async () => ++sent === 1
			? Response.json({error: 'slow down', code: 'RATE_LIMIT_EXCEEDED'}, {status: 429, headers: {'retry-after': '2'}})
			: Response.json({})});
		vi.useFakeTimers({toFake: ['setTimeout', 'clearTimeout', 'Date']});
		const call = knoudsFetch('https://api.knouds.example/v1/x');
		await vi.waitFor(() => {
			expect(sent).toBe(1);
		});
		await vi.advanceTimersByTimeAsync(2000);
		expect(sent).toBe(2);
		expect((await call).status).toBe(200);
	});
});
