import {createHash} from 'node:crypto';
import {describe, expect, it} from 'vitest';
import type {StoreOp} from '../../src/coordination/store.js';
import {createRedisStore} from '../../src/redis/index.js';
import {stepScript} from '../../src/redis/script.js';

// What the Redis store sends and how it reads what comes back, with a client that records each command
// and answers as told: no server needed. The script itself is tested against real servers in
// test/integration/redis.

const scriptSha = createHash('sha1').update(stepScript).digest('hex');

const fake = (...replies: unknown[]) => {
	const sent: string[][] = [];
	const client = {
		async sendCommand(args: readonly string[]): Promise<unknown> {
			sent.push([...args]);
			const reply = replies.shift();
			if (reply instanceof Error) {
				throw reply;
			}

			return reply;
		},
	};
	return {client, sent};
};

const every: readonly StoreOp[] = [
	{op: 'get', key: 'a'},
	{op: 'set', key: 'b', value: 'x', ttlMs: 1500.2},
	{op: 'setUntil', key: 'gate', until: 1234.5},
	{op: 'init', key: 'c', value: 'y', ttlMs: Number.POSITIVE_INFINITY},
	{op: 'stamp', key: 'd', ttlMs: 10},
	{op: 'add', key: 'e', delta: 0.1, initial: 10, max: Number.POSITIVE_INFINITY, ttlMs: 20},
	{op: 'add', key: 'f', delta: 1, initial: 0, max: 5, ttlMs: 9e15},
	{op: 'take', key: 'g', amount: 1, initial: 10, ttlMs: 30},
	{op: 'reserve', key: 'h', intervalMs: 100, ttlMs: 60_000},
	{op: 'pace', key: 'i', intervalMs: 25, burst: 4, ttlMs: 40},
	{op: 'pace', key: 'j', intervalMs: 25, burst: 4, max: 1, ttlMs: 40},
	{op: 'absent', key: 'k'},
	{op: 'expect', key: 'l', value: undefined},
	{op: 'expect', key: 'm', value: 'v'},
];

describe('createRedisStore() commands', () => {
	it('sends a step as one EVALSHA of the script, every key in the prefix\'s hash tag, every ttl whole and capped at maxTtl', async () => {
		const {client, sent} = fake(['1', '0']);
		await createRedisStore({client, prefix: 'team', maxTtl: 86_400_000}).run(every);
		expect(sent).toEqual([[
			'EVALSHA', scriptSha, String(every.length),
			...every.map(op => `{team}:${op.key}`),
			'get',
			'set', 'x', '1501',
			'setUntil', '1234.5',
			'init', 'y', '86400000',
			'stamp', '10',
			'add', '0.1', '10', '', '20',
			'add', '1', '0', '5', '86400000',
			'take', '1', '10', '30',
			'reserve', '100', '60000',
			'pace', '25', '4', '4', '40',
			'pace', '25', '4', '1', '40',
			'absent',
			'expect', '0', '',
			'expect', '1', 'v',
		]]);
	});

	it('keeps its keys under knouds-retry and what it keeps for good 7 days, by default', async () => {
		const {client, sent} = fake(['1', '0']);
		await createRedisStore({client}).run([{op: 'set', key: 'budget', value: '1', ttlMs: Number.POSITIVE_INFINITY}]);
		expect(sent[0]?.slice(3)).toEqual(['{knouds-retry}:budget', 'set', '1', '604800000']);
	});

	it('sends the script itself with EVAL when the server has lost it, and the same keys and words', async () => {
		const {client, sent} = fake(new Error('NOSCRIPT No matching script. Please use EVAL.'), ['5', '0', 'x']);
		const answer = await createRedisStore({client, prefix: 'p'}).run([{op: 'get', key: 'a'}]);
		expect(answer).toEqual({now: 5, stopped: false, results: ['x']});
		expect(sent.map(command => command[0])).toEqual(['EVALSHA', 'EVAL']);
		expect(sent[1]).toEqual(['EVAL', stepScript, '1', '{p}:a', 'get']);
	});

	it('fails a step on any other error, as the client gave it, without sending the script', async () => {
		const refused = new Error('READONLY You can\'t write against a read only replica.');
		const {client, sent} = fake(refused);
		await expect(createRedisStore({client}).run([{op: 'get', key: 'a'}])).rejects.toBe(refused);
		expect(sent).toHaveLength(1);
		const {client: other} = fake('NOSCRIPT as a string, not an error');
		await expect(createRedisStore({client: other}).run([{op: 'get', key: 'a'}])).rejects.toThrow(/not the script's answer/);
	});

	it('sends through an ioredis-style call(command, ...args) when the client has one, on the client itself', async () => {
		const calls: unknown[][] = [];
		const client = {
			name: 'ioredis',
			async call(this: {name: string}, ...args: string[]): Promise<unknown> {
				calls.push([this.name, ...args]);
				return ['7', '0', null];
			},
		};
		expect(await createRedisStore({client, prefix: 'p'}).run([{op: 'get', key: 'a'}])).toEqual({now: 7, stopped: false, results: [undefined]});
		expect(calls).toEqual([['ioredis', 'EVALSHA', scriptSha, '1', '{p}:a', 'get']]);
	});
});

describe('createRedisStore() replies', () => {
	it('reads text, bytes and numbers alike, null as absent, and the numeric operations\' results as numbers', async () => {
		const bytes = (text: string) => new TextEncoder().encode(text);
		const {client} = fake([bytes('1000'), 1, 'v', bytes('w'), null, 3, '0.5', 12n]);
		const ops: StoreOp[] = [{op: 'get', key: 'a'}, {op: 'get', key: 'b'}, {op: 'get', key: 'c'}, {op: 'add', key: 'd', delta: 1, initial: 2, max: 3, ttlMs: 1}, {op: 'pace', key: 'e', intervalMs: 1, burst: 1, ttlMs: 1}, {op: 'get', key: 'f'}];
		expect(await createRedisStore({client}).run(ops)).toEqual({now: 1000, stopped: true, results: ['v', 'w', undefined, 3, 0.5, '12']});
	});

	it('says a step stopped only when the script says 1', async () => {
		const {client} = fake(['1', '0'], ['1', 'yes'], ['1', '1', 'x']);
		const store = createRedisStore({client});
		expect((await store.run([])).stopped).toBe(false);
		expect((await store.run([])).stopped).toBe(false);
		expect((await store.run([{op: 'absent', key: 'a'}])).stopped).toBe(true);
	});

	it('fails a step whose reply is not the script\'s: not an array, too short, or holding an object', async () => {
		for (const reply of ['OK', ['1'], [], ['1', '0', {}], undefined]) {
			const {client} = fake(reply);
			 
			await expect(createRedisStore({client}).run([{op: 'get', key: 'a'}]), JSON.stringify(reply)).rejects.toThrow(/not the script's answer/);
		}
	});
});

describe('createRedisStore() options', () => {
	it('refuses what is not an options object, naming what it takes', () => {
		for (const options of [undefined, null, 'redis://127.0.0.1', [], 5]) {
			expect(() => createRedisStore(options as never)).toThrow('Expected `createRedisStore() options` to be `{client, prefix?, maxTtl?}`');
		}
	});

	it('refuses a client it cannot send commands with, with what it takes', () => {
		for (const client of [undefined, null, {}, {call: 'no'}, {sendCommand: 1}, 'redis']) {
			expect(() => createRedisStore({client: client as never})).toThrow('Expected `client` to be an ioredis client (with `call`), a node-redis client or any object with `sendCommand(args)`');
		}
	});

	it('refuses a prefix that is empty, not text, or would break the hash tag', () => {
		const {client} = fake();
		for (const prefix of ['', 'a{b', 'a}b', 5]) {
			expect(() => createRedisStore({client, prefix: prefix as never})).toThrow('Expected `prefix` to be a non-empty string without `{` or `}` (it is the keys\' hash tag)');
		}
	});

	it('refuses a maxTtl that is not a positive whole number of milliseconds, and takes one that is', async () => {
		const {client, sent} = fake(['1', '0']);
		for (const maxTtl of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '1000']) {
			expect(() => createRedisStore({client, maxTtl: maxTtl as never})).toThrow('Expected `maxTtl` to be a positive whole number of milliseconds');
		}

		await createRedisStore({client, maxTtl: 1}).run([{op: 'set', key: 'a', value: 'x', ttlMs: 5}]);
		expect(sent[0]?.at(-1)).toBe('1');
	});
});
