// One process of a fleet (see Worker in harness.ts). It connects to Redis with the client WORKER_CONFIG
// names and says `ready`; then, for each job (a line of JSON on stdin), it makes a createKnoudsFetch with a
// Redis store on the job's prefix and says `set`, and on `go` makes the job's POSTs, `concurrency` at a
// time, and prints a JSON summary (WorkerSummary). It exits when stdin ends.
//
// It watches the store's steps to say, for each request, when (on the store's clock) the step that let it
// through ran, and which Retry-After gates it closed or was held by: an AsyncLocalStorage per call ties
// each step to the call that took it.
import {AsyncLocalStorage} from 'node:async_hooks';
import {createInterface} from 'node:readline';
import {Redis as IoRedis6} from 'ioredis';
import {Redis as IoRedis5} from 'ioredis5';
import {createClient as createNodeRedis6} from 'redis';
import {createClient as createNodeRedis5} from 'redis5';
import {createKnoudsFetch, type KnoudsFetch, type KnoudsStore} from '../../../src/index.js';
import {createRedisStore, type RedisClientLike} from '../../../src/redis/index.js';
import type {SentRequest, WorkerConfig, WorkerJob, WorkerSummary} from './harness.ts';

const config = JSON.parse(process.env['WORKER_CONFIG'] ?? '') as WorkerConfig;

const connect = async (): Promise<{client: RedisClientLike; close: () => void}> => {
	switch (config.client) {
		case 'ioredis 6':
		case 'ioredis 5': {
			const options = {lazyConnect: true, maxRetriesPerRequest: 1};
			const client = config.client === 'ioredis 6' ? new IoRedis6(config.redisUrl, options) : new IoRedis5(config.redisUrl, options);
			client.on('error', () => undefined);
			await client.connect();
			return {client, close: () => {
				client.disconnect();
			}};
		}

		case 'node-redis 6':
		case 'node-redis 5': {
			const client = config.client === 'node-redis 6' ? createNodeRedis6({url: config.redisUrl}) : createNodeRedis5({url: config.redisUrl});
			client.on('error', () => undefined);
			await client.connect();
			return {client, close: () => {
				client.destroy();
			}};
		}
	}
};

const {client, close} = await connect();
const call = new AsyncLocalStorage<{admittedAt?: number}>();

type Run = {readonly job: WorkerJob; readonly knoudsFetch: KnoudsFetch; readonly summary: () => WorkerSummary};

const prepare = (job: WorkerJob): Run => {
	const requests: SentRequest[] = [];
	const gateSets: Array<{at: number; until: number}> = [];
	const gateHolds: number[] = [];
	const storeErrors: string[] = [];
	let ok = 0;
	let failed = 0;
	const redisStore = createRedisStore({client, prefix: job.prefix});
	const store: KnoudsStore = {
		async run(ops) {
			const answer = await redisStore.run(ops);
			const gate = ops.findIndex(op => op.op === 'absent' && op.key === 'gate');
			if (gate !== -1 && answer.stopped && answer.results.length === gate + 1) {
				gateHolds.push(Number(answer.results[gate]));
			} else if (gate !== -1 && !answer.stopped) {
				// The last such step before a request is sent is the one that let it through.
				const context = call.getStore();
				if (context !== undefined) {
					context.admittedAt = answer.now;
				}
			}

			for (const [index, op] of ops.entries()) {
				// The gate is written with `setUntil` (or a `set` of its instant): either says until when.
				const write = op as {readonly op: string; readonly key: string; readonly value?: string; readonly until?: number};
				if (write.key === 'gate' && (write.op === 'set' || write.op === 'setUntil') && answer.results.length > index) {
					gateSets.push({at: answer.now, until: write.until ?? Number(write.value)});
				}
			}

			return answer;
		},
	};

	const knoudsFetch = createKnoudsFetch({
		...job.options,
		store,
		onStoreError(error) {
			storeErrors.push(`${error.name}: ${error.message}`);
		},
		async fetch(input, init) {
			const request: SentRequest = {admittedAt: call.getStore()?.admittedAt, sentAt: Date.now()};
			requests.push(request);
			const response = await fetch(input, init);
			request.status = response.status;
			return response;
		},
	});
	return {
		job,
		knoudsFetch: async (input, init) => {
			const response = await knoudsFetch(input, init);
			if (response.ok) {
				ok++;
			} else {
				failed++;
			}

			return response;
		},
		summary: () => ({ok, failed, requests, gateSets, gateHolds, storeErrors, skewMs: Date.now() - (performance.timeOrigin + performance.now())}),
	};
};

const runAll = async ({job, knoudsFetch}: Run): Promise<void> => {
	let next = 0;
	const lane = async (): Promise<void> => {
		while (next < job.calls) {
			const id = next++;
			const response = await call.run({}, async () => knoudsFetch(`${job.url}${job.path}`, {
				method: 'POST',
				headers: {'x-api-key': job.key, 'content-type': 'application/json'},
				body: JSON.stringify({inputs: {call: id}}),
			}));
			await response.arrayBuffer();
		}
	};

	await Promise.all(Array.from({length: job.concurrency}, lane));
};

process.stdout.write('ready\n');
let prepared: Run | undefined;
for await (const line of createInterface({input: process.stdin})) {
	if (line === 'go' && prepared !== undefined) {
		await runAll(prepared);
		process.stdout.write(`${JSON.stringify(prepared.summary())}\n`);
		prepared = undefined;
	} else {
		const job = JSON.parse(line) as WorkerJob;
		prepared = prepare(job);
		if (job.warmUp === true) {
			// A process's first request opens its connection: sent now, not in the run, where its delay would
			// look like the pacer's.
			await (await fetch(`${job.url}/warm-up`)).arrayBuffer();
		}

		process.stdout.write('set\n');
	}
}

close();
