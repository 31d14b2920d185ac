import {beforeAll, describe, expect, it, vi} from 'vitest';
import {api, arrivals, jsonHeaders, knoudsBody} from '../../support/http.js';
import {until, useFakeClock} from '../../support/clock.js';
import {knoudsErrorOf} from '../../support/surfaces.js';
import {calls, clientSurfaces, settleAll, warmUp} from './clients.js';

beforeAll(warmUp);

const rateLimited = (seconds: number): [number, string, Record<string, string>] =>
	[429, JSON.stringify(knoudsBody('RATE_LIMIT_EXCEEDED', 'Too many requests')), {...jsonHeaders, 'retry-after': String(seconds)}];

/** A server that admits `admits` requests per fixed window (opened by the first request after the last one closed), then answers 429. */
const windowed = (admits: number, windowMs: number) => {
	const log: Array<{at: number; status: number}> = [];
	let start = Number.NEGATIVE_INFINITY;
	let count = 0;
	const reply = (): [number, string, Record<string, string>] => {
		const now = Date.now();
		if (now >= start + windowMs) {
			start = now;
			count = 0;
		}

		const admitted = ++count <= admits;
		log.push({at: now, status: admitted ? 200 : 429});
		return admitted ? [200, '{}', jsonHeaders] : rateLimited(Math.ceil((start + windowMs - now) / 1000));
	};

	return {log, reply};
};

// A client whose 429s end the call at once, so that only the gate decides when the next request goes.
const noRetry = {timeout: false, policy: {RATE_LIMIT_EXCEEDED: false}} as const;

describe.each(clientSurfaces)('$name', surface => {
	it('sends nothing for a new call until the Retry-After another call met has passed, then sends it', async () => {
		useFakeClock();
		const t0 = Date.now();
		const seen = arrivals();
		api().get('/run').reply(seen.reply(429, knoudsBody('RATE_LIMIT_EXCEEDED'), {'retry-after': '2'})).get('/run').times(2).reply(seen.reply(200, {}));
		let waiting = false;
		const client = surface.create({timeout: false, onRetry: () => (waiting = true)});
		const started = calls();
		started.start(client({path: '/run'}));
		await until(() => waiting);
		started.start(client({path: '/run'}));
		await settleAll(started);
		expect(seen.times.map(time => time - t0)).toEqual([0, 2000, 2000]);
		expect(started.settled().map(outcome => outcome.kind)).toEqual(['ok', 'ok']);
	});

	it('holds new calls for all of a Retry-After longer than an hour', async () => {
		useFakeClock();
		const t0 = Date.now();
		const seen = arrivals();
		api().get('/run').reply(seen.reply(429, knoudsBody('RATE_LIMIT_EXCEEDED'), {'retry-after': '7200'})).get('/run').reply(seen.reply(200, {}));
		const client = surface.create({...noRetry, maxRetryAfter: 3 * 3_600_000});
		const started = calls();
		started.start(client({path: '/run'}));
		// Its 429 ends it at once: no timer needs to run, and none may, or the gate would close later.
		await until(() => started.pending() === 0);
		await vi.advanceTimersByTimeAsync(1.5 * 3_600_000);
		started.start(client({path: '/run'}));
		await settleAll(started);
		expect(seen.times.map(time => time - t0)).toEqual([0, 7_200_000]);
		expect(started.settled().at(-1)?.kind).toBe('ok');
	});

	it('keeps the retries of concurrent calls from coming back together once it has learned the limit', async () => {
		useFakeClock();
		const t0 = Date.now();
		const server = windowed(4, 1000);
		api().get('/run').times(100).reply(server.reply);
		// Every 429 here is retried: once each has been, the client has read them all.
		let retried = 0;
		const client = surface.create({timeout: false, onRetry: () => retried++});
		const started = calls();
		for (let index = 0; index < 12; index++) {
			started.start(client({path: '/run'}));
		}

		await settleAll(started, {answered: () => retried === server.log.filter(entry => entry.status === 429).length});
		expect(started.settled().filter(outcome => outcome.kind === 'ok')).toHaveLength(12);
		// The first burst meets the limit (4 admitted, 8 refused); after that, at most one request meets it again.
		expect(server.log.filter(entry => entry.status === 429 && entry.at === t0)).toHaveLength(8);
		expect(server.log.filter(entry => entry.status === 429 && entry.at > t0).length).toBeLessThanOrEqual(1);
		// No window after learning sees more than it admitted, plus at most one request that finds out whether it admits more.
		const later = server.log.map(entry => entry.at).filter(at => at > t0);
		for (const at of later) {
			expect(later.filter(other => other >= at && other < at + 1000).length).toBeLessThanOrEqual(5);
		}
	});

	it('sends the retries of concurrent calls back together with retryAfterGate: false', async () => {
		useFakeClock();
		const t0 = Date.now();
		const server = windowed(4, 1000);
		api().get('/run').times(100).reply(server.reply);
		const client = surface.create({timeout: false, retryAfterGate: false});
		const started = calls();
		for (let index = 0; index < 12; index++) {
			started.start(client({path: '/run'}));
		}

		await settleAll(started);
		expect(server.log.filter(entry => entry.at === t0 + 1000)).toHaveLength(8);
		expect(server.log.filter(entry => entry.status === 429 && entry.at > t0).length).toBeGreaterThan(1);
	});

	it('keeps the gate closed until the latest end any 429 announced: a later 429 with a shorter wait does not reopen it sooner', async () => {
		useFakeClock();
		const t0 = Date.now();
		const seen = arrivals();
		let release = (): void => undefined;
		const held = new Promise<void>(resolve => {
			release = resolve;
		});
		api().get('/run').reply(async () => {
			seen.times.push(Date.now());
			await held;
			return rateLimited(2);
		}).get('/run').reply(seen.reply(...rateLimited(10))).get('/run').reply(seen.reply(200, {}));
		const client = surface.create(noRetry);
		const started = calls();
		// The first call is in flight when the second meets a 429 asking for 10 s; then the first meets one asking for 2 s.
		started.start(client({path: '/run'}));
		await until(() => seen.times.length === 1);
		started.start(client({path: '/run'}));
		await until(() => started.settled().length === 1);
		release();
		await until(() => started.settled().length === 2);
		started.start(client({path: '/run'}));
		await settleAll(started);
		expect(seen.times.map(time => time - t0)).toEqual([0, 0, 10_000]);
		expect(started.outcomes[2]?.kind).toBe('ok');
	});

	it('holds a call with another API key too, since the limit is the account\'s and a client speaks for one', async () => {
		useFakeClock();
		const t0 = Date.now();
		const seen = arrivals();
		api().get('/run').reply(seen.reply(...rateLimited(30))).get('/run').reply(seen.reply(200, {}));
		const client = surface.create(noRetry);
		expect(knoudsErrorOf(await client({path: '/run'})).status).toBe(429);
		const started = calls();
		started.start(client({path: '/run', key: 'kn_live_ANOTHER-KEY'}));
		await settleAll(started);
		expect(seen.times.map(time => time - t0)).toEqual([0, 30_000]);
		expect(started.outcomes[0]?.kind).toBe('ok');
	});

	it('fails a new call at once, sending nothing, when the gate stays shut longer than maxRetryAfter', async () => {
		useFakeClock();
		const seen = arrivals();
		api().get('/run').reply(seen.reply(...rateLimited(120)));
		const client = surface.create({maxRetryAfter: 60_000});
		expect(knoudsErrorOf(await client({path: '/run'})).stopReason).toBe('retry-after-too-long');
		await vi.advanceTimersByTimeAsync(10_000);
		const error = knoudsErrorOf(await client({path: '/run'}));
		expect(seen.times).toHaveLength(1);
		expect(error).toMatchObject({status: 429, code: 'RATE_LIMIT_EXCEEDED', stopReason: 'retry-after-too-long'});
		expect(error.retryAfterMs).toBeGreaterThan(109_000);
		expect(error.retryAfterMs).toBeLessThanOrEqual(110_000);
		// Regression: knoudsRetry(ky) reported attempts 1 and "Not retried" for a call that sent nothing.
		expect(error.attempts).toBe(0);
		expect(error.message).toContain('No request sent');
		// Said once: the body the refusal carries does not repeat the wait the message already gives.
		expect(error.message.match(/asked this client to wait/g)).toHaveLength(1);
	});

	it('fails a new call whose total timeout ends before the gate opens with the rate-limit error and its wait, sending nothing', async () => {
		useFakeClock();
		const seen = arrivals();
		api().get('/run').reply(seen.reply(...rateLimited(30)));
		const client = surface.create({timeout: false, totalTimeout: 5000});
		expect(knoudsErrorOf(await client({path: '/run'})).stopReason).toBe('total-timeout');
		await vi.advanceTimersByTimeAsync(1000);
		const error = knoudsErrorOf(await client({path: '/run'}));
		expect(seen.times).toHaveLength(1);
		expect(error).toMatchObject({status: 429, code: 'RATE_LIMIT_EXCEEDED', stopReason: 'total-timeout', attempts: 0, retryAfterMs: 29_000});
		expect(error.message).toContain('No request sent: an earlier response asked this client to wait 29 s more, past the call\'s total timeout');
		expect(vi.getTimerCount()).toBe(0);
	});

	it('rejects at once with the abort reason when the signal aborts a wait at the gate, and leaves no timer', async () => {
		useFakeClock();
		const seen = arrivals();
		api().get('/run').reply(seen.reply(...rateLimited(30)));
		const client = surface.create(noRetry);
		await client({path: '/run'});
		const controller = new AbortController();
		const started = calls();
		started.start(client({path: '/run', signal: controller.signal}));
		await until(() => vi.getTimerCount() === 1);
		await vi.advanceTimersByTimeAsync(1000);
		const reason = new Error('user cancelled');
		controller.abort(reason);
		await until(() => started.pending() === 0);
		expect(started.outcomes[0]).toEqual({kind: 'thrown', error: reason});
		expect(seen.times).toHaveLength(1);
		expect(vi.getTimerCount()).toBe(0);
	});

	it('sends a new call at once with retryAfterGate: false', async () => {
		useFakeClock();
		const t0 = Date.now();
		const seen = arrivals();
		api().get('/run').reply(seen.reply(...rateLimited(30))).get('/run').reply(seen.reply(200, {}));
		const client = surface.create({...noRetry, retryAfterGate: false});
		await client({path: '/run'});
		const started = calls();
		started.start(client({path: '/run'}));
		await settleAll(started);
		expect(seen.times.map(time => time - t0)).toEqual([0, 0]);
		expect(started.outcomes[0]?.kind).toBe('ok');
	});
});
