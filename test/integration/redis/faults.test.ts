import type {EventEmitter} from 'node:events';
import {Redis} from 'ioredis';
import ky from 'ky';
import {afterAll, beforeAll, expect, it} from 'vitest';
import {createKnoudsFetch, isKnoudsError, KnoudsStoreError, knoudsRetry, type KnoudsFetch} from '../../../src/index.js';
import {createRedisStore, type RedisClientLike} from '../../../src/redis/index.js';
import {createKnoudsSimulator, type KnoudsSimulator} from '../../../src/testing/index.js';
import {sendError, startServer} from '../server.js';
import {eventually, ownRedis, slowProxy, startWorker, type ClientKind, type Worker, type WorkerJob, rateLimitedOnce, useCleanups} from './harness.js';
import {clientKinds, describeRedis, freshPrefix, redisUrl, type TestClient} from './support.js';

// What a client with a Redis store does when Redis fails, is slow or forgets its script, and what two
// clients (or two processes, with clocks that disagree) on one prefix share: checked with each client
// the store supports, against real servers.

const cleanup = useCleanups();

let admin: Redis;
beforeAll(() => {
	admin = new Redis(redisUrl, {lazyConnect: true});
	admin.on('error', () => undefined);
});
afterAll(() => {
	admin.disconnect();
});

// ioredis reports a lost connection as an 'error' event, and logs it when nobody listens: the tests
// break connections on purpose.
const quiet = (client: RedisClientLike): void => {
	(client as unknown as Partial<EventEmitter>).on?.('error', () => undefined);
};

const connected = async (kind: string, url: string): Promise<TestClient> => {
	const test = await clientKinds[kind]!(url);
	quiet(test.client);
	cleanup(test.close);
	return test;
};

const simulator = async (): Promise<KnoudsSimulator> => {
	const sim = await createKnoudsSimulator();
	cleanup(async () => sim.close());
	return sim;
};

const run = async (knoudsFetch: KnoudsFetch, url: string, key = 'sim-pro-key'): Promise<Response> =>
	knoudsFetch(`${url}/v1/models/text-small/run`, {method: 'POST', headers: {'x-api-key': key, 'content-type': 'application/json'}, body: '{"inputs":{}}'});

// Sends `count` calls, `concurrency` at a time, each through `send`; `onDone` hears of each as it ends.
const batch = async <T>(count: number, concurrency: number, send: () => Promise<T>, onDone: (done: number) => void = () => undefined): Promise<T[]> => {
	const results: T[] = [];
	let started = 0;
	const lane = async (): Promise<void> => {
		while (started < count) {
			started++;
			results.push(await send());
			onDone(results.length);
		}
	};

	await Promise.all(Array.from({length: concurrency}, lane));
	return results;
};

const statusOf = async (response: Response): Promise<number> => {
	await response.arrayBuffer();
	return response.status;
};

// Unhandled rejections, recorded from now until the test ends.
const watchRejections = (): unknown[] => {
	const seen: unknown[] = [];
	const listener = (reason: unknown): void => {
		seen.push(reason);
	};

	process.on('unhandledRejection', listener);
	cleanup(() => process.off('unhandledRejection', listener));
	return seen;
};

// Counts the commands a client sends by name, through the method the store uses to send them.
const countCommands = (client: RedisClientLike): string[] => {
	const sent: string[] = [];
	const mutable = client as {call?: (...args: string[]) => Promise<unknown>; sendCommand?: (args: readonly string[]) => Promise<unknown>};
	const {call, sendCommand} = mutable;
	if (call === undefined) {
		mutable.sendCommand = async args => {
			sent.push(args[0]!);
			return sendCommand!.call(client, args);
		};
	} else {
		mutable.call = async (...args) => {
			sent.push(args[0]!);
			return call.apply(client, args);
		};
	}

	return sent;
};

const portOf = (url: string): number => Number(new URL(url).port || 6379);

const keysUnder = async (redis: Redis, prefix: string): Promise<string[]> => redis.keys(`{${prefix}}:*`);

for (const kind of Object.keys(clientKinds)) {
	describeRedis(`A Redis store with ${kind}`, () => {
		it('completes every call when Redis is killed mid-run, tells onStoreError, and shares through Redis again once it is back', async () => {
			const redis = await ownRedis();
			cleanup(redis.kill);
			await redis.start();
			const test = await connected(kind, redis.url);
			const sim = await simulator();
			const rejections = watchRejections();
			const errors: unknown[] = [];
			const prefix = freshPrefix();
			const knoudsFetch = createKnoudsFetch({store: createRedisStore({client: test.client, prefix}), onStoreError: error => errors.push(error)});
			let killed: Promise<void> | undefined;
			const statuses = await batch(60, 4, async () => statusOf(await run(knoudsFetch, sim.url)), done => {
				// Killed while the other lanes' calls are under way, some in a store step.
				if (done === 20) {
					killed = redis.kill();
				}
			});
			await killed;
			expect(killed).toBeDefined();
			expect(statuses).toEqual(Array.from({length: 60}, () => 200));
			expect(sim.stats().successfulRuns).toBe(60);
			expect(errors.length).toBeGreaterThan(0);
			for (const error of errors) {
				expect(error).toBeInstanceOf(KnoudsStoreError);
			}

			// Back, empty (no persistence). Steps the client queued while it was down may land in it late, so the
			// evidence is a latch: only a call made now can set one, with a key the API says is dead. Once the store's
			// rest after a failure is over and the client has reconnected, the latch is in Redis.
			await redis.start();
			const restarted = new Redis(redis.url);
			cleanup(() => {
				restarted.disconnect();
			});
			let dead = 0;
			await eventually(async () => {
				expect(await statusOf(await run(knoudsFetch, sim.url, `dead-key-${dead++}`))).toBe(401);
				return await restarted.exists(`{${prefix}}:latch`) === 1;
			}, 15_000, 50);
			expect(await statusOf(await run(knoudsFetch, sim.url))).toBe(200);
			// And what it holds is shared: another client on that server refuses the dead key without a request.
			const other = await connected(kind, redis.url);
			const otherFetch = createKnoudsFetch({store: createRedisStore({client: other.client, prefix})});
			const requests = sim.stats().requests;
			expect(await statusOf(await run(otherFetch, sim.url, `dead-key-${dead - 1}`))).toBe(401);
			expect(sim.stats().requests).toBe(requests);
			expect(rejections).toEqual([]);
		}, 30_000);

		it('never hangs a call on a Redis that answers later than storeTimeout, and reports each timeout to onStoreError', async () => {
			const proxy = await slowProxy(portOf(redisUrl));
			cleanup(proxy.close);
			const test = await connected(kind, proxy.url);
			const sim = await simulator();
			const rejections = watchRejections();
			const errors: unknown[] = [];
			const knoudsFetch = createKnoudsFetch({store: createRedisStore({client: test.client, prefix: freshPrefix()}), storeTimeout: 200, onStoreError: error => errors.push(error)});
			// Far longer than the timeout: a call that waited for Redis would take this long.
			proxy.delayMs = 5000;
			const durations = await batch(12, 4, async () => {
				const started = performance.now();
				expect(await statusOf(await run(knoudsFetch, sim.url))).toBe(200);
				return performance.now() - started;
			});
			// At most a timeout or two each (a call may meet the store again after its second of rest), plus the call itself.
			expect(Math.max(...durations)).toBeLessThan(1500);
			expect(errors.length).toBeGreaterThan(0);
			for (const error of errors) {
				expect(error).toBeInstanceOf(KnoudsStoreError);
				expect((error as Error).message).toMatch(/did not answer a step .* within 200 ms \(`storeTimeout`\)/);
			}

			expect(rejections).toEqual([]);
		});

		it('fails a call with KnoudsStoreError, sending nothing, when Redis answers too late and failOnStoreError is set, through fetch and through ky', async () => {
			const proxy = await slowProxy(portOf(redisUrl));
			cleanup(proxy.close);
			const test = await connected(kind, proxy.url);
			const sim = await simulator();
			const errors: unknown[] = [];
			const options = {store: createRedisStore({client: test.client, prefix: freshPrefix()}), storeTimeout: 200, failOnStoreError: true, onStoreError: (error: Error) => errors.push(error)};
			const knoudsFetch = createKnoudsFetch(options);
			const api = knoudsRetry(ky.create({baseUrl: `${sim.url}/`, headers: {'x-api-key': 'sim-pro-key'}}), options);
			proxy.delayMs = 5000;
			for (const send of [async () => run(knoudsFetch, sim.url), async () => api.post('v1/models/text-small/run', {json: {inputs: {}}})]) {
				const started = performance.now();
				const failure: unknown = await send().catch((error: unknown) => error);
				expect(performance.now() - started).toBeLessThan(1500);
				expect(failure).toBeInstanceOf(KnoudsStoreError);
				expect(errors.at(-1)).toBe(failure);
			}

			expect(errors).toHaveLength(2);
			expect(sim.stats().requests).toBe(0);
		});

		it('carries on without a fault when Redis loses the script between calls (SCRIPT FLUSH)', async () => {
			const test = await connected(kind, redisUrl);
			const sent = countCommands(test.client);
			const sim = await simulator();
			const errors: unknown[] = [];
			const prefix = freshPrefix();
			const knoudsFetch = createKnoudsFetch({store: createRedisStore({client: test.client, prefix}), onStoreError: error => errors.push(error)});
			const before = await batch(5, 1, async () => statusOf(await run(knoudsFetch, sim.url)));
			const evalsBefore = sent.filter(command => command === 'EVAL').length;
			// Flushed before each call (so that another test loading the script again at the same moment cannot
			// hide the flush from all of them).
			const after = await batch(5, 1, async () => {
				await admin.script('FLUSH');
				return statusOf(await run(knoudsFetch, sim.url));
			});
			expect([...before, ...after]).toEqual(Array.from({length: 10}, () => 200));
			expect(errors).toEqual([]);
			// The flush was met (the script was sent again) and cost no step its answer: the state is in Redis.
			expect(sent.filter(command => command === 'EVAL').length).toBeGreaterThan(evalsBefore);
			expect(await keysUnder(admin, prefix)).toContain(`{${prefix}}:limit`);
		});

		it('holds another client\'s call on the same prefix until a 429\'s Retry-After has passed', async () => {
			const prefix = freshPrefix();
			const [a, b] = [await connected(kind, redisUrl), await connected(kind, redisUrl)];
			const server = await rateLimitedOnce('1');
			const {arrivals} = server;
			cleanup(server.close);
			const fetchA = createKnoudsFetch({store: createRedisStore({client: a.client, prefix})});
			const apiB = knoudsRetry(ky.create({baseUrl: `${server.url}/`, headers: {'x-client': 'B'}}), {store: createRedisStore({client: b.client, prefix})});
			const callA = fetchA(`${server.url}/run`, {method: 'POST', headers: {'x-client': 'A'}});
			// B's call starts once A's 429 is in Redis.
			await eventually(async () => await admin.exists(`{${prefix}}:gate`) === 1, 5000, 2);
			const callB = apiB.post('run').json();
			expect((await callA).status).toBe(200);
			expect(await callB).toEqual({});
			const b1 = arrivals.filter(arrival => arrival.client === 'B');
			expect(b1).toHaveLength(1);
			expect(b1[0]!.at).toBeGreaterThanOrEqual(server.tooManyAt() + 1000);
			// Let through once it passed, not held for long after.
			expect(b1[0]!.at).toBeLessThan(server.tooManyAt() + 2500);
			expect(arrivals.map(arrival => arrival.client)).toEqual(expect.arrayContaining(['A', 'A', 'B']));
		});

		it('fails another client\'s call on the same prefix at once, without a request, with a key a 401 said was dead', async () => {
			const prefix = freshPrefix();
			const [a, b] = [await connected(kind, redisUrl), await connected(kind, redisUrl)];
			const server = await startServer((request, response) => {
				if (request.headers['x-api-key'] === 'dead-key') {
					response.writeHead(401, {'content-type': 'application/json'}).end('{"error":"Missing or invalid API key"}');
					return;
				}

				response.writeHead(200, {'content-type': 'application/json'}).end('{}');
			});
			cleanup(server.close);
			const fetchA = createKnoudsFetch({store: createRedisStore({client: a.client, prefix})});
			const apiB = knoudsRetry(ky.create({baseUrl: `${server.url}/`}), {store: createRedisStore({client: b.client, prefix})});
			expect((await fetchA(`${server.url}/run`, {method: 'POST', headers: {'x-api-key': 'dead-key'}})).status).toBe(401);
			expect(server.requests()).toBe(1);
			const failure: unknown = await apiB.post('run', {headers: {'x-api-key': 'dead-key'}}).catch((error: unknown) => error);
			expect(isKnoudsError(failure)).toBe(true);
			expect(failure).toMatchObject({status: 401, stopReason: 'latched', attempts: 0});
			expect(server.requests()).toBe(1);
			// Only that key: B's calls with another key go out.
			expect(await apiB.post('run', {headers: {'x-api-key': 'live-key'}}).json()).toEqual({});
			expect(server.requests()).toBe(2);
		});

		it('spends one retry budget for every client on the same prefix', async () => {
			const prefix = freshPrefix();
			const [a, b] = [await connected(kind, redisUrl), await connected(kind, redisUrl)];
			const server = await startServer((_request, response) => {
				sendError(response, 500, 'EXECUTION_FAILED');
			});
			cleanup(server.close);
			const options = {retryBudget: {burst: 3, earn: 0.1}, random: () => 0};
			const fetchA = createKnoudsFetch({...options, store: createRedisStore({client: a.client, prefix})});
			const apiB = knoudsRetry(ky.create({baseUrl: `${server.url}/`}), {...options, store: createRedisStore({client: b.client, prefix})});
			// A's call takes its three retries (the policy's), which empties the budget of three.
			expect((await fetchA(`${server.url}/run`, {method: 'POST'})).status).toBe(500);
			expect(server.requests()).toBe(4);
			const failure: unknown = await apiB.post('run').catch((error: unknown) => error);
			expect(failure).toMatchObject({code: 'EXECUTION_FAILED', stopReason: 'retry-budget', attempts: 1});
			expect(server.requests()).toBe(5);
		});

		// Two processes whose clocks are 4 s behind and 4 s ahead of the real one, one way round with ioredis, the
		// other with node-redis (the store's clients in the processes, which is all that changes with the kind;
		// the older versions are left out, for time): a gate kept on either process's clock would let the second
		// go at once, or hold it 8 s too long.
		const skews = {'ioredis 6': [-4000, 4000], 'node-redis 6': [4000, -4000]}[kind];
		if (skews === undefined) {
			return;
		}

		const [firstSkew, secondSkew] = skews as [number, number];
		// Started as the kind's tests begin, so that their start-up (seconds, on a busy machine) overlaps them.
		let workers: [Worker, Worker] | undefined;
		beforeAll(() => {
			workers = [startWorker({redisUrl, client: kind as ClientKind}, firstSkew), startWorker({redisUrl, client: kind as ClientKind}, secondSkew)];
			// Awaited in the test; a worker that fails to start fails it there.
			for (const worker of workers) {
				worker.ready.catch(() => undefined);
			}
		});
		afterAll(async () => {
			await Promise.all(workers?.map(async worker => worker.close()) ?? []);
		});
		it(`holds a process whose clock is ${secondSkew / 1000} s off until the Retry-After another process (${firstSkew / 1000} s off) met has passed, on Redis's clock`, async () => {
			const prefix = freshPrefix();
			const server = await rateLimitedOnce('2');
			cleanup(server.close);
			const job: WorkerJob = {prefix, url: server.url, path: '/run', key: 'sim-pro-key', calls: 1, concurrency: 1};
			const [first, second] = workers!;
			await Promise.all([first.ready, second.ready]);
			await Promise.all([first.prepare(job), second.prepare(job)]);
			const firstDone = first.go();
			// Awaited below, with the second; a failure meanwhile is not an unhandled rejection.
			firstDone.catch(() => undefined);
			await eventually(async () => await admin.exists(`{${prefix}}:gate`) === 1, 10_000, 2);
			const [one, two] = await Promise.all([firstDone, second.go()]);
			expect(one.skewMs).toBeCloseTo(firstSkew, -2);
			expect(two.skewMs).toBeCloseTo(secondSkew, -2);
			expect([one.ok, two.ok, one.storeErrors, two.storeErrors]).toEqual([1, 1, [], []]);
			expect(two.gateHolds).toHaveLength(1);
			// Both sent after the gate opened (Retry-After: 2 from the 429), the second not long after.
			expect(server.arrivals).toHaveLength(3);
			const [, ...after] = server.arrivals;
			for (const {at} of after) {
				expect(at).toBeGreaterThanOrEqual(server.tooManyAt() + 2000);
				expect(at).toBeLessThan(server.tooManyAt() + 3500);
			}
		}, 30_000);
	});
}
