import {sha1} from '@noble/hashes/legacy.js';
import {bytesToHex, utf8ToBytes} from '@noble/hashes/utils.js';
import type {KnoudsStore, StoreAnswer, StoreOp} from '../coordination/store.js';
import {fail, isRecord} from '../validate.js';
import {stepScript} from './script.js';

/**
Sends one Redis command, given as its words (`['EVALSHA', sha, '2', ...]`), and resolves with its reply:
the shape of node-redis's `sendCommand`. Wrap any other client in one (see docs/redis.md).
*/
export type RedisCommand = (args: readonly string[]) => Promise<unknown>;

/**
A Redis client the store can use: an ioredis client or cluster (v5, v6), which has `call`; a node-redis
client (v5, v6), which has `sendCommand`; or any object with a `sendCommand(args)` that sends one
command and resolves with its reply.
*/
export type RedisClientLike =
	| {readonly call: (command: string, ...args: string[]) => Promise<unknown>}
	| {readonly sendCommand: RedisCommand};

/** Options of `createRedisStore()`. */
export type RedisStoreOptions = {
	/** A connected client of the Redis (or Valkey) server the processes share. The store never connects or closes it. */
	readonly client: RedisClientLike;
	/**
	What the store's keys start with, inside a Redis Cluster hash tag (`{knouds-retry}:limit`), so that
	one account's keys live on one node. Clients for different accounts need different prefixes.
	@default 'knouds-retry'
	*/
	readonly prefix?: string | undefined;
	/**
	How long a key the client keeps for good (the retry budget, a dead key's latch, the latch flag) lives
	in Redis after its last write, in milliseconds, so that every key expires.
	@default 604_800_000 (7 days)
	*/
	readonly maxTtl?: number | undefined;
};

const scriptSha = bytesToHex(sha1(utf8ToBytes(stepScript)));

const commandOf = (client: unknown): RedisCommand => {
	if (isRecord(client) && typeof client['call'] === 'function') {
		const call = client['call'] as (...args: string[]) => Promise<unknown>;
		return async args => call.apply(client, [...args]);
	}

	if (isRecord(client) && typeof client['sendCommand'] === 'function') {
		const send = client['sendCommand'] as RedisCommand;
		return async args => send.call(client, [...args]);
	}

	return fail('client', 'an ioredis client (with `call`), a node-redis client or any object with `sendCommand(args)`', client);
};

// Each operation's words after its name, in the script's order.
const words = (op: StoreOp, ttl: (ms: number) => string): string[] => {
	switch (op.op) {
		case 'get':
		case 'absent': {
			return [op.op];
		}

		case 'set':
		case 'init': {
			return [op.op, op.value, ttl(op.ttlMs)];
		}

		case 'stamp': {
			return [op.op, ttl(op.ttlMs)];
		}

		case 'setUntil': {
			return [op.op, String(op.until)];
		}

		case 'add': {
			return [op.op, String(op.delta), String(op.initial), Number.isFinite(op.max) ? String(op.max) : '', ttl(op.ttlMs)];
		}

		case 'take': {
			return [op.op, String(op.amount), String(op.initial), ttl(op.ttlMs)];
		}

		case 'reserve': {
			return [op.op, String(op.intervalMs), ttl(op.ttlMs)];
		}

		case 'pace': {
			return [op.op, String(op.intervalMs), String(op.burst), String(op.max ?? op.burst), ttl(op.ttlMs)];
		}

		case 'expect': {
			return op.value === undefined ? [op.op, '0', ''] : [op.op, '1', op.value];
		}
	}
};

const numeric = new Set<StoreOp['op']>(['add', 'take', 'reserve', 'pace']);

const notTheAnswer = 'Redis answered the step with something that is not the script\'s answer.';

// Strings as Redis sent them: as text, as bytes (a client that returns buffers), or as numbers (a client
// that maps replies); `null` for an absent key.
const text = (value: unknown): string | undefined => {
	if (value === null || value === undefined || typeof value === 'string') {
		return value ?? undefined;
	}

	if (value instanceof Uint8Array) {
		return new TextDecoder().decode(value);
	}

	if (typeof value === 'number' || typeof value === 'bigint') {
		return String(value);
	}

	throw new Error(notTheAnswer);
};

const isNoScript = (error: unknown): boolean => error instanceof Error && error.message.startsWith('NOSCRIPT');

/**
A `KnoudsStore` on Redis (or Valkey), shared by every process that uses the same server and prefix. Each
step is one command: an `EVALSHA` of one Lua script, loaded again with `EVAL` when the server answers
`NOSCRIPT` (after a flush, a restart or a failover). Times are the server's clock; every key expires.

@example
import {Redis} from 'ioredis';
import {createKnoudsFetch} from 'knouds-retry';
import {createRedisStore} from 'knouds-retry/redis';

const store = createRedisStore({client: new Redis(process.env.REDIS_URL)});
const knoudsFetch = createKnoudsFetch({store});
*/
export const createRedisStore = (options: RedisStoreOptions): KnoudsStore => {
	if (!isRecord(options)) {
		fail('createRedisStore() options', '`{client, prefix?, maxTtl?}`', options);
	}

	const command = commandOf(options['client']);
	const prefix: unknown = options['prefix'] ?? 'knouds-retry';
	if (typeof prefix !== 'string' || prefix === '' || /[{}]/.test(prefix)) {
		fail('prefix', 'a non-empty string without `{` or `}` (it is the keys\' hash tag)', prefix);
	}

	const maxTtl: unknown = options['maxTtl'] ?? 604_800_000;
	if (typeof maxTtl !== 'number' || !Number.isInteger(maxTtl) || maxTtl <= 0) {
		fail('maxTtl', 'a positive whole number of milliseconds', maxTtl);
	}

	const ttl = (ms: number): string => String(Number.isFinite(ms) ? Math.min(Math.ceil(ms), maxTtl) : maxTtl);
	const keyOf = (key: string): string => `{${prefix}}:${key}`;

	return {
		async run(ops) {
			const keys = ops.map(op => keyOf(op.key));
			const args = ops.flatMap(op => words(op, ttl));
			const tail = [String(keys.length), ...keys, ...args];
			let reply: unknown;
			try {
				reply = await command(['EVALSHA', scriptSha, ...tail]);
			} catch (error) {
				if (!isNoScript(error)) {
					throw error;
				}

				// EVAL runs the script and caches it again: the next step's EVALSHA finds it.
				reply = await command(['EVAL', stepScript, ...tail]);
			}

			if (!Array.isArray(reply) || reply.length < 2) {
				throw new Error(notTheAnswer);
			}

			const [now, stopped, ...results] = reply as unknown[];
			return {
				now: Number(text(now)),
				stopped: text(stopped) === '1',
				results: results.map((result, index) => {
					const value = text(result);
					return value !== undefined && numeric.has(ops[index]?.op ?? 'get') ? Number(value) : value;
				}),
			} satisfies StoreAnswer;
		},
	};
};
