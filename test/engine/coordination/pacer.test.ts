import ky from 'ky';
import {beforeAll, describe, expect, it} from 'vitest';
import {createKnoudsFetch, createMemoryStore, knoudsRetry, type KnoudsFetchOptions} from '../../../src/index.js';
import {api, arrivals, jsonHeaders, knoudsBody} from '../../support/http.js';
import {useFakeClock} from '../../support/clock.js';
import {knoudsErrorOf} from '../../support/surfaces.js';
import {calls, clientSurfaces, settleAll, warmUp} from './clients.js';

beforeAll(warmUp);

/** A server that admits `perMinute` requests per fixed minute (opened by the first request after the last one closed), then answers 429. */
const perMinute = (limit: number) => {
	const statuses: number[] = [];
	let start = Number.NEGATIVE_INFINITY;
	let count = 0;
	const reply = (): [number, string, Record<string, string>] => {
		const now = Date.now();
		if (now >= start + 60_000) {
			start = now;
			count = 0;
		}

		const admitted = ++count <= limit;
		statuses.push(admitted ? 200 : 429);
		return admitted
			? [200, '{}', jsonHeaders]
			: [429, JSON.stringify(knoudsBody('RATE_LIMIT_EXCEEDED')), {...jsonHeaders, 'retry-after': String(Math.ceil((start + 60_000 - now) / 1000))}];
	};

	return {statuses, reply};
};

// No attempt timeout: its timer would run while a request is in flight (see settleAll).
const paced = {timeout: false, rateLimit: {requestsPerMinute: 60}} as const;

describe.each(clientSurfaces)('$name', surface => {
	it('spaces concurrent calls one second apart at 60 requests per minute', async () => {
		useFakeClock();
		const t0 = Date.now();
		const seen = arrivals();
		api().get('/run').times(5).reply(seen.reply(200, {}));
		const client = surface.create(paced);
		const started = calls();
		for (let index = 0; index < 5; index++) {
			started.start(client({path: '/run'}));
		}

		await settleAll(started);
		expect(seen.times.map(time => time - t0)).toEqual([0, 1000, 2000, 3000, 4000]);
		expect(started.settled().every(outcome => outcome.kind === 'ok')).toBe(true);
	});

	it('never meets a 429 from a server that admits 60 requests per minute, over 70 concurrent calls', async () => {
		useFakeClock();
		const server = perMinute(60);
		api().get('/run').times(70).reply(server.reply);
		const client = surface.create(paced);
		const started = calls();
		for (let index = 0; index < 70; index++) {
			started.start(client({path: '/run'}));
		}

		await settleAll(started);
		expect(server.statuses).toEqual(Array.from({length: 70}, () => 200));
		expect(started.settled().every(outcome => outcome.kind === 'ok')).toBe(true);
	});

	it('shares the pacer between two clients given the same store', async () => {
		useFakeClock();
		const t0 = Date.now();
		const seen = arrivals();
		api().get('/run').times(4).reply(seen.reply(200, {}));
		const store = createMemoryStore();
		const first = surface.create({...paced, store});
		const second = surface.create({...paced, store});
		const started = calls();
		for (const client of [first, second, first, second]) {
			started.start(client({path: '/run'}));
		}

		await settleAll(started);
		expect(seen.times.map(time => time - t0)).toEqual([0, 1000, 2000, 3000]);
	});

	it('shares the Retry-After gate between two clients given the same store', async () => {
		useFakeClock();
		const t0 = Date.now();
		const seen = arrivals();
		api().get('/run').reply(seen.reply(429, knoudsBody('RATE_LIMIT_EXCEEDED'), {'retry-after': '5'})).get('/run').reply(seen.reply(200, {}));
		const store = createMemoryStore();
		const options = {timeout: false, store, policy: {RATE_LIMIT_EXCEEDED: false}} as const;
		const first = surface.create(options);
		const second = surface.create(options);
		expect(knoudsErrorOf(await first({path: '/run'})).status).toBe(429);
		const started = calls();
		started.start(second({path: '/run'}));
		await settleAll(started);
		expect(seen.times.map(time => time - t0)).toEqual([0, 5000]);
		expect(started.outcomes[0]?.kind).toBe('ok');
	});

	it('keeps separate pacers for clients with their own stores', async () => {
		useFakeClock();
		const t0 = Date.now();
		const seen = arrivals();
		api().get('/run').times(2).reply(seen.reply(200, {}));
		const started = calls();
		started.start(surface.create(paced)({path: '/run'}));
		started.start(surface.create(paced)({path: '/run'}));
		await settleAll(started);
		expect(seen.times.map(time => time - t0)).toEqual([0, 0]);
	});
});

describe('rateLimit validation', () => {
	const creators: Array<[string, (options: KnoudsFetchOptions) => unknown]> = [
		['knoudsRetry(ky)', options => knoudsRetry(ky.create(), options)],
		['createKnoudsFetch', options => createKnoudsFetch(options)],
	];
	const invalid: Array<[unknown, string]> = [
		[{requestsPerMinute: 0}, 'rateLimit.requestsPerMinute'],
		[{requestsPerMinute: -60}, 'rateLimit.requestsPerMinute'],
		[{requestsPerMinute: Number.POSITIVE_INFINITY}, 'rateLimit.requestsPerMinute'],
		[{requestsPerMinute: '60'}, 'rateLimit.requestsPerMinute'],
		[{}, 'rateLimit'],
		[60, 'rateLimit'],
		[null, 'rateLimit'],
	];

	describe.each(creators)('%s', (_name, create) => {
		it.each(invalid)('throws a TypeError naming the option for rateLimit %j', (rateLimit, option) => {
			const options = {rateLimit} as unknown as KnoudsFetchOptions;
			expect(() => create(options)).toThrow(TypeError);
			expect(() => create(options)).toThrow(`Expected \`${option}\` to be`);
		});
	});
});
