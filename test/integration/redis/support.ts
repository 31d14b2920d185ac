import {randomUUID} from 'node:crypto';
import {Redis as IoRedis6} from 'ioredis';
import {Redis as IoRedis5} from 'ioredis5';
import {createClient as createNodeRedis6} from 'redis';
import {createClient as createNodeRedis5} from 'redis5';
import {describe} from 'vitest';
import {redisProblem} from '../../../demo/redis.ts';
import type {RedisClientLike} from '../../../src/redis/index.js';

/** The Redis server the tests use: `REDIS_URL`, or the one on this machine's default port. */
export const redisUrl = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';

/** A client the store is tested with, connected, and how to close it. */
export type TestClient = {readonly name: string; readonly client: RedisClientLike; readonly close: () => Promise<void>};

/** Each client the store supports, by name: ioredis 5 and 6, node-redis 5 and 6. */
export const clientKinds: Readonly<Record<string, (url: string) => Promise<TestClient>>> = {
	'ioredis 6': async url => {
		const client = new IoRedis6(url, {lazyConnect: true, maxRetriesPerRequest: 1});
		await client.connect();
		return {name: 'ioredis 6', client, close: async () => {
			client.disconnect();
		}};
	},
	'ioredis 5': async url => {
		const client = new IoRedis5(url, {lazyConnect: true, maxRetriesPerRequest: 1});
		await client.connect();
		return {name: 'ioredis 5', client, close: async () => {
			client.disconnect();
		}};
	},
	'node-redis 6': async url => {
		const client = createNodeRedis6({url});
		client.on('error', () => undefined);
		await client.connect();
		return {name: 'node-redis 6', client, close: async () => {
			client.destroy();
		}};
	},
	'node-redis 5': async url => {
		const client = createNodeRedis5({url});
		client.on('error', () => undefined);
		await client.connect();
		return {name: 'node-redis 5', client, close: async () => {
			client.destroy();
		}};
	},
};

/** A prefix no other test uses, so that tests sharing one server never see each other's keys. */
export const freshPrefix = (): string => `knouds-test-${randomUUID()}`;

// The same probe the demo and the bench use: one connection, no reconnection.
const problem = await redisProblem(redisUrl);
if (problem !== undefined) {
	if (process.env['CI'] === 'true') {
		throw new Error(`The Redis tests need a Redis server at ${redisUrl} (REDIS_URL), and CI must have one: ${problem}`);
	}

	console.warn(`Skipping the Redis tests: no Redis server at ${redisUrl} (set REDIS_URL): ${problem}`);
}

/** `describe`, or, where no Redis server answers (and not under CI, where that fails the run), `describe.skip`. */
export const describeRedis = (name: string, body: () => void): void => {
	(problem === undefined ? describe : describe.skip)(name, body);
};
