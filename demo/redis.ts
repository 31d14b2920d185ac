/**
The Redis server the fleets that share state through `knouds-retry/redis` use, and the chores around
it: finding out whether it answers, and removing a run's keys afterwards.
*/
import {randomUUID} from 'node:crypto';
import {Redis} from 'ioredis';

/** `REDIS_URL`, or the server on this machine's default port. */
export const redisUrl = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';

/** Where `url` points, without the credentials it may carry, to print. */
export const redisPlace = (url: string): string => {
	try {
		const {protocol, host} = new URL(url);
		return `${protocol}//${host}`;
	} catch {
		return 'REDIS_URL (not a URL)';
	}
};

/**
A connected ioredis client, set up as docs/redis.md advises: a short connect timeout, reconnecting on its
own. Its errors are swallowed: a store that fails is reported through `onStoreError`, and ioredis would
otherwise print every failed reconnection.
*/
export const connectRedis = async (url: string): Promise<Redis> => {
	const client = new Redis(url, {lazyConnect: true, connectTimeout: 1000});
	client.on('error', () => undefined);
	await client.connect();
	return client;
};

/** Why no Redis server answers at `url`, or `undefined` when one does. */
export const redisProblem = async (url: string): Promise<string | undefined> => {
	// No reconnection: one refusal is the answer.
	const client = new Redis(url, {lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 2000});
	client.on('error', () => undefined);
	try {
		await client.connect();
		await client.ping();
		return undefined;
	} catch (error) {
		return error instanceof Error ? error.message : String(error);
	} finally {
		client.disconnect();
	}
};

/** A prefix no other run uses, so that runs sharing a server never see each other's state. */
export const freshPrefix = (what: string): string => `knouds-${what}-${randomUUID()}`;

/**
Removes every key of the prefixes that start with `prefixStart` (the store's keys are `{prefix}:…`), so
that a run leaves nothing behind: the retry budget would otherwise stay for `maxTtl`, a week. Never a
FLUSHALL: the server may be shared.
*/
export const dropKeys = async (url: string, prefixStart: string): Promise<void> => {
	const client = await connectRedis(url);
	try {
		let cursor = '0';
		do {
			const [next, keys] = await client.scan(cursor, 'MATCH', `{${prefixStart}*`, 'COUNT', 1000);
			cursor = next;
			if (keys.length > 0) {
				await client.unlink(...keys);
			}
		} while (cursor !== '0');
	} finally {
		client.disconnect();
	}
};
