import {Redis} from 'ioredis';
import {afterAll, beforeAll, expect, it} from 'vitest';
import {createMemoryStore} from '../../../src/coordination/memory-store.js';
import type {KnoudsStore, StoreOp} from '../../../src/coordination/store.js';
import {createRedisStore} from '../../../src/redis/index.js';
import {clientKinds, describeRedis, freshPrefix, redisUrl, type TestClient} from './support.js';

// The Redis store runs the same operations as the memory store, with the same results, on the server's
// clock and with every key expiring: checked with each client it supports, against a real server.

const forever = Number.POSITIVE_INFINITY;

for (const [kind, connect] of Object.entries(clientKinds)) {
	describeRedis(`createRedisStore() with ${kind}`, () => {
		let test: TestClient;
		let admin: Redis;
		beforeAll(async () => {
			test = await connect(redisUrl);
			admin = new Redis(redisUrl);
		});
		afterAll(async () => {
			await test.close();
			admin.disconnect();
		});

		const fresh = () => {
			const prefix = freshPrefix();
			return {prefix, store: createRedisStore({client: test.client, prefix}), key: (name: string) => `{${prefix}}:${name}`};
		};

		// The same step on a fresh memory store, for the operations whose results do not depend on the clock.
		const onMemory = async (ops: readonly StoreOp[]) => createMemoryStore().run(ops);

		it('answers a step of reads, writes and counters exactly as the memory store does', async () => {
			const {store} = fresh();
			const ops: StoreOp[] = [
				{op: 'get', key: 'a'},
				{op: 'set', key: 'a', value: 'x', ttlMs: 60_000},
				{op: 'get', key: 'a'},
				{op: 'init', key: 'a', value: 'y', ttlMs: 60_000},
				{op: 'init', key: 'b', value: 'y', ttlMs: 60_000},
				{op: 'add', key: 'n', delta: 0.1, initial: 10, max: 10.25, ttlMs: forever},
				{op: 'add', key: 'n', delta: 0.1, initial: 10, max: 10.25, ttlMs: forever},
				{op: 'add', key: 'n', delta: 0.1, initial: 10, max: 10.25, ttlMs: forever},
				{op: 'add', key: 'm', delta: 0.1, initial: 0, max: forever, ttlMs: forever},
				{op: 'add', key: 'm', delta: 0.2, initial: 0, max: forever, ttlMs: forever},
				{op: 'take', key: 't', amount: 1, initial: 1, ttlMs: forever},
				{op: 'take', key: 't', amount: 1, initial: 1, ttlMs: forever},
				{op: 'take', key: 'a', amount: 1, initial: 2, ttlMs: forever},
				{op: 'set', key: 'a', value: 'gone', ttlMs: 0},
				{op: 'get', key: 'a'},
				{op: 'expect', key: 'a', value: undefined},
				{op: 'expect', key: 'b', value: 'y'},
				{op: 'absent', key: 'nothing'},
			];
			const answer = await store.run(ops);
			const memory = await onMemory(ops);
			expect(answer.results).toEqual(memory.results);
			expect(answer.results).toEqual([undefined, undefined, 'x', 'x', 'y', 10.1, 10.2, 10.25, 0.1, 0.30000000000000004, 1, 0, 1, undefined, undefined, undefined, 'y', undefined]);
			expect(answer.stopped).toBe(false);
		});

		it('stops a step at the first operation that says so, running nothing after it', async () => {
			const {store} = fresh();
			await store.run([{op: 'set', key: 'gate', value: '1', ttlMs: 60_000}]);
			for (const stop of [{op: 'absent', key: 'gate'}, {op: 'expect', key: 'gate', value: '2'}, {op: 'expect', key: 'none', value: 'x'}] as const) {
				const ops: StoreOp[] = [{op: 'get', key: 'gate'}, stop, {op: 'set', key: 'after', value: 'x', ttlMs: 60_000}];
				const [answer, memory] = [await store.run(ops), await onMemory([{op: 'set', key: 'gate', value: '1', ttlMs: 60_000}, ...ops])];
				expect(answer).toMatchObject({stopped: true, results: memory.results.slice(1)});
				expect(answer.results).toHaveLength(2);
			}

			expect((await store.run([{op: 'get', key: 'after'}])).results).toEqual([undefined]);
		});

		it('reports the server\'s clock, not the caller\'s', async () => {
			const {store} = fresh();
			const [seconds, micros] = await admin.time();
			const {now} = await store.run([{op: 'get', key: 'x'}]);
			const server = (Number(seconds) * 1000) + Math.floor(Number(micros) / 1000);
			expect(now).toBeGreaterThanOrEqual(server);
			expect(now - server).toBeLessThan(1000);
		});

		it('keeps a gate until the instant it names on the server\'s clock, and none whose instant has passed', async () => {
			const {store, key} = fresh();
			const {now} = await store.run([{op: 'get', key: 'x'}]);
			await store.run([{op: 'setUntil', key: 'gate', until: now + 30_000}, {op: 'setUntil', key: 'late', until: now - 1}]);
			expect(await admin.get(key('gate'))).toBe(String(now + 30_000));
			expect(await admin.pttl(key('gate'))).toBeGreaterThan(29_000);
			expect(await admin.pttl(key('gate'))).toBeLessThanOrEqual(30_000);
			expect(await admin.exists(key('late'))).toBe(0);
			// A gate set again keeps the later of the two ends.
			await store.run([{op: 'setUntil', key: 'gate', until: now + 10_000}]);
			expect(await admin.get(key('gate'))).toBe(String(now + 30_000));
			await store.run([{op: 'setUntil', key: 'gate', until: now + 40_000}]);
			expect(await admin.get(key('gate'))).toBe(String(now + 40_000));
			expect(await admin.pttl(key('gate'))).toBeGreaterThan(39_000);
		});

		it('leaves the value and the expiry of a present key alone on init, as the memory store does', async () => {
			const {store, key} = fresh();
			await store.run([{op: 'set', key: 'k', value: 'there', ttlMs: 5000}]);
			expect((await store.run([{op: 'init', key: 'k', value: 'other', ttlMs: 600_000}])).results).toEqual(['there']);
			expect(await admin.pttl(key('k'))).toBeLessThanOrEqual(5000);
		});

		it('stamps a key with the server\'s clock once, and keeps that stamp', async () => {
			const {store} = fresh();
			const first = await store.run([{op: 'stamp', key: 's', ttlMs: 60_000}]);
			const second = await store.run([{op: 'stamp', key: 's', ttlMs: 60_000}]);
			expect(first.results[0]).toBe(String(first.now));
			expect(second.results[0]).toBe(String(first.now));
		});

		it('hands out pacer slots an interval apart on the server\'s clock, and stops the step that must wait', async () => {
			const {store} = fresh();
			const reserve: StoreOp = {op: 'reserve', key: 'r', intervalMs: 60_000, ttlMs: 120_000};
			const first = await store.run([reserve, {op: 'get', key: 'x'}]);
			expect(first).toMatchObject({stopped: false, results: [0, undefined]});
			const second = await store.run([reserve, {op: 'get', key: 'x'}]);
			expect(second.stopped).toBe(true);
			expect(second.results).toHaveLength(1);
			// The slot is an interval after the first, measured from the first step's clock.
			expect(second.results[0]).toBe(60_000 - (second.now - first.now));
		});

		it('lets a token bucket\'s burst through, then says how long until the next request, storing nothing for it', async () => {
			const {store, key} = fresh();
			const pace: StoreOp = {op: 'pace', key: 'p', intervalMs: 60_000, burst: 2, ttlMs: 120_000};
			const answer = await store.run([pace, pace, pace]);
			expect(answer.stopped).toBe(true);
			expect(answer.results.slice(0, 2)).toEqual([0, 0]);
			// The request after the burst waits two intervals: the bucket refills from one interval after now.
			expect(answer.results[2]).toBe(120_000);
			expect(await admin.get(key('p'))).toBe(`0@${answer.now + 60_000}`);
		});

		it('keeps every key under its prefix in one hash tag, each with an expiry, and caps "for good" at maxTtl', async () => {
			const prefix = freshPrefix();
			const store = createRedisStore({client: test.client, prefix, maxTtl: 86_400_000});
			await store.run([{op: 'set', key: 'latch', value: '1', ttlMs: forever}, {op: 'add', key: 'budget', delta: 1, initial: 0, max: 10, ttlMs: forever}, {op: 'set', key: 'gate', value: '1', ttlMs: 1500.2}]);
			const keys = (await admin.keys(`{${prefix}}:*`)).sort();
			expect(keys).toEqual([`{${prefix}}:budget`, `{${prefix}}:gate`, `{${prefix}}:latch`]);
			const ttls = await Promise.all(keys.map(async name => admin.pttl(name)));
			expect(ttls[0]).toBeGreaterThan(86_390_000);
			expect(ttls[0]).toBeLessThanOrEqual(86_400_000);
			// A ttl in fractions of a millisecond is kept to the next whole one.
			expect(ttls[1]).toBeGreaterThan(1400);
			expect(ttls[1]).toBeLessThanOrEqual(1501);
		});

		it('loads its script again when the server has lost it (NOSCRIPT), and answers the step', async () => {
			const {store} = fresh();
			await store.run([{op: 'set', key: 'a', value: '1', ttlMs: 60_000}]);
			await admin.script('FLUSH');
			expect(await store.run([{op: 'get', key: 'a'}])).toMatchObject({stopped: false, results: ['1']});
			// And the next step finds it cached again.
			const before = await admin.info('commandstats');
			await store.run([{op: 'get', key: 'a'}]);
			const after = await admin.info('commandstats');
			const calls = (text: string, command: string) => Number(new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(text)?.[1] ?? 0);
			expect(calls(after, 'evalsha') - calls(before, 'evalsha')).toBeGreaterThanOrEqual(1);
			expect(calls(after, 'eval')).toBe(calls(before, 'eval'));
		});
	});
}

describeRedis('createRedisStore() options', () => {
	it('refuses a client it cannot send commands with, naming what it takes', () => {
		expect(() => createRedisStore({client: {} as never})).toThrow(/`client`.*ioredis.*sendCommand/);
		expect(() => createRedisStore(undefined as never)).toThrow(TypeError);
	});

	it('refuses a prefix that would break the hash tag, and a maxTtl that is not a positive whole number', () => {
		const client = {sendCommand: async () => []};
		expect(() => createRedisStore({client, prefix: 'a{b}'})).toThrow(/`prefix`/);
		expect(() => createRedisStore({client, prefix: ''})).toThrow(/`prefix`/);
		expect(() => createRedisStore({client, maxTtl: 0})).toThrow(/`maxTtl`/);
		expect(() => createRedisStore({client, maxTtl: 1.5})).toThrow(/`maxTtl`/);
	});

	it('sends each step as one EVALSHA through any client with sendCommand, and fails a step whose reply is not the script\'s', async () => {
		const sent: string[][] = [];
		const store: KnoudsStore = createRedisStore({client: {sendCommand: async args => {
			sent.push([...args]);
			return 'OK';
		}}, prefix: 'p'});
		await expect(store.run([{op: 'get', key: 'limit'}])).rejects.toThrow(/not the script's answer/);
		expect(sent).toHaveLength(1);
		expect(sent[0]!.slice(0, 1)).toEqual(['EVALSHA']);
		expect(sent[0]!.slice(2)).toEqual(['1', '{p}:limit', 'get']);
	});
});
