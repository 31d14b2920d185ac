// What the Redis fault and fleet tests run against: a Redis server of their own (to kill and restart), a
// TCP proxy that slows Redis down, a recording HTTP proxy in front of the simulator, and child processes
// that run a worker (worker.ts) and report what they did. Nothing here imports vitest, so that worker.ts
// may share its types.
import {spawn, type ChildProcessWithoutNullStreams} from 'node:child_process';
import {once} from 'node:events';
import {Agent, createServer, request as httpRequest, type Server} from 'node:http';
import {connect, createServer as createTcpServer, type AddressInfo, type Socket} from 'node:net';
import {fileURLToPath} from 'node:url';
import {afterEach} from 'vitest';
import {sendError, startServer} from '../server.js';

/** A port nothing listens on, as far as the system says now. */
export const freePort = async (): Promise<number> => {
	const server = createTcpServer();
	server.listen(0, '127.0.0.1');
	await once(server, 'listening');
	const {port} = server.address() as AddressInfo;
	server.close();
	await once(server, 'close');
	return port;
};

/** A redis-server of the test's own, on a port of its own: started, killed and started again on the same port. */
export type OwnRedis = {
	readonly port: number;
	readonly url: string;
	/** Starts the server (again), resolving once it accepts connections. */
	readonly start: () => Promise<void>;
	/** Kills it with SIGKILL, as a crash would, resolving once it is gone. */
	readonly kill: () => Promise<void>;
};

/** A redis-server on a free port, not yet started; `kill` it when done (killing a stopped one does nothing). */
export const ownRedis = async (): Promise<OwnRedis> => {
	const port = await freePort();
	let child: ChildProcessWithoutNullStreams | undefined;
	return {
		port,
		url: `redis://127.0.0.1:${port}`,
		async start() {
			const server = spawn('redis-server', ['--port', String(port), '--save', '', '--appendonly', 'no', '--bind', '127.0.0.1']);
			child = server;
			let output = '';
			await new Promise<void>((resolve, reject) => {
				server.stdout.on('data', (chunk: Buffer) => {
					output += chunk.toString();
					if (output.includes('Ready to accept connections')) {
						resolve();
					}
				});
				server.on('error', reject);
				server.on('exit', code => {
					reject(new Error(`redis-server on port ${port} exited (${code}) before it was ready:\n${output}`));
				});
			});
		},
		async kill() {
			const server = child;
			child = undefined;
			if (server === undefined || server.exitCode !== null || server.signalCode !== null) {
				return;
			}

			const exited = once(server, 'exit');
			server.kill('SIGKILL');
			await exited;
		},
	};
};

/** A TCP proxy in front of a Redis server that holds each reply back for `delayMs` (0: passes it on at once), in order. */
export type SlowProxy = {readonly url: string; delayMs: number; readonly close: () => Promise<void>};

export const slowProxy = async (targetPort: number): Promise<SlowProxy> => {
	const sockets = new Set<Socket>();
	const timers = new Set<NodeJS.Timeout>();
	const server = createTcpServer(socket => {
		const upstream = connect(targetPort, '127.0.0.1');
		sockets.add(socket);
		sockets.add(upstream);
		// Each chunk goes out no earlier than the one before it, so that a reply never overtakes another.
		let last = 0;
		socket.on('data', (chunk: Buffer) => upstream.write(chunk));
		upstream.on('data', (chunk: Buffer) => {
			const at = Math.max(Date.now() + proxy.delayMs, last);
			last = at;
			const timer = setTimeout(() => {
				timers.delete(timer);
				if (!socket.destroyed) {
					socket.write(chunk);
				}
			}, Math.max(0, at - Date.now()));
			timers.add(timer);
		});
		const end = (): void => {
			socket.destroy();
			upstream.destroy();
		};

		socket.on('error', end).on('close', end);
		upstream.on('error', end).on('close', end);
	});
	server.listen(0, '127.0.0.1');
	await once(server, 'listening');
	const {port} = server.address() as AddressInfo;
	const proxy: SlowProxy = {
		url: `redis://127.0.0.1:${port}`,
		delayMs: 0,
		async close() {
			for (const timer of timers) {
				clearTimeout(timer);
			}

			for (const socket of sockets) {
				socket.destroy();
			}

			server.close();
			await once(server, 'close');
		},
	};
	return proxy;
};

/** One request that reached the API through a recording proxy: when it arrived, and what it was answered. */
export type Arrival = {readonly at: number; readonly path: string; readonly key: string | undefined; status?: number | undefined; retryAfter?: string | undefined; answeredAt?: number};

/** An HTTP proxy in front of an API (the simulator) that logs each request's arrival and answer, on this process's clock. */
export type RecordingProxy = {readonly url: string; readonly arrivals: readonly Arrival[]; readonly close: () => Promise<void>};

const closeHttp = async (server: Server): Promise<void> => {
	server.closeAllConnections();
	await new Promise(resolve => {
		server.close(resolve);
	});
};

export const recordingProxy = async (target: string): Promise<RecordingProxy> => {
	const arrivals: Arrival[] = [];
	const agent = new Agent({keepAlive: true});
	const server = createServer((request, response) => {
		const key = request.headers['x-api-key'];
		const arrival: Arrival = {at: Date.now(), path: request.url ?? '/', key: typeof key === 'string' ? key : undefined};
		arrivals.push(arrival);
		const upstream = httpRequest(new URL(request.url ?? '/', target), {method: request.method, headers: request.headers, agent}, answer => {
			arrival.status = answer.statusCode;
			const retryAfter = answer.headers['retry-after'];
			arrival.retryAfter = typeof retryAfter === 'string' ? retryAfter : undefined;
			arrival.answeredAt = Date.now();
			response.writeHead(answer.statusCode ?? 502, answer.headers);
			answer.pipe(response);
		});
		upstream.on('error', () => response.destroy());
		request.pipe(upstream);
	});
	server.listen(0, '127.0.0.1');
	await once(server, 'listening');
	const {port} = server.address() as AddressInfo;
	return {
		url: `http://127.0.0.1:${port}`,
		arrivals,
		async close() {
			await closeHttp(server);
			agent.destroy();
		},
	};
};

/** The Redis clients a worker can use. */
export type ClientKind = 'ioredis 6' | 'ioredis 5' | 'node-redis 6' | 'node-redis 5';

/** Which Redis a worker connects to, and with which client: JSON in its `WORKER_CONFIG`. */
export type WorkerConfig = {readonly redisUrl: string; readonly client: ClientKind};

/** One run of calls a worker is given: a line of JSON on its stdin. */
export type WorkerJob = {
	readonly prefix: string;
	/** The API's base URL, without a trailing slash. */
	readonly url: string;
	/** The path each call POSTs to, with a leading slash. */
	readonly path: string;
	readonly key: string;
	readonly calls: number;
	readonly concurrency: number;
	/** `createKnoudsFetch` options that are plain data. */
	readonly options?: {readonly rateLimit?: {readonly requestsPerMinute: number}; readonly retryBudget?: {readonly burst?: number; readonly earn?: number}};
	/** Send a GET to `/warm-up` while preparing, so that the run's first request finds its connection open. */
	readonly warmUp?: boolean;
};

/** One request a worker sent: when its admission step ran (the store's clock), when it was sent (the worker's clock), and its answer's status. */
export type SentRequest = {readonly admittedAt: number | undefined; readonly sentAt: number; status?: number};

/** What a worker prints, as one line of JSON, when a job's calls are done. */
export type WorkerSummary = {
	readonly ok: number;
	readonly failed: number;
	readonly requests: readonly SentRequest[];
	/** Each Retry-After gate the worker closed: when (the store's clock) and until when. */
	readonly gateSets: ReadonlyArray<{readonly at: number; readonly until: number}>;
	/** The `until` of each closed gate that held one of the worker's attempts. */
	readonly gateHolds: readonly number[];
	readonly storeErrors: readonly string[];
	/** How far the worker's `Date.now()` is from the real clock: its skew. */
	readonly skewMs: number;
};

const here = (name: string): string => fileURLToPath(new URL(name, import.meta.url));

/**
A worker process (worker.ts), which speaks in lines: it says `ready` once connected to Redis; given a job,
it makes a client for it and says `set`; on `go` it runs the job's calls and prints their summary.
Preparing is apart from going so that a test can start a fleet's runs together.
*/
export type Worker = {
	readonly ready: Promise<void>;
	readonly prepare: (job: WorkerJob) => Promise<void>;
	readonly go: () => Promise<WorkerSummary>;
	/** Ends the worker (it closes its Redis client and exits), killing it if it does not within a few seconds. */
	readonly close: () => Promise<void>;
};

/** Starts a worker in a Node process of its own, its `Date.now()` shifted by `skewMs` when given. */
export const startWorker = (config: WorkerConfig, skewMs?: number): Worker => {
	const args = [
		'--no-warnings',
		'--experimental-transform-types',
		'--import',
		here('../source-hooks.mjs'),
		...skewMs === undefined ? [] : ['--import', here('skew-clock.ts')],
		here('worker.ts'),
	];
	const child = spawn(process.execPath, args, {
		env: {...process.env, WORKER_CONFIG: JSON.stringify(config), SKEW_MS: String(skewMs ?? 0)},
		cwd: here('../../..'),
	});
	const lines: string[] = [];
	const waiting: Array<{resolve: (line: string) => void; reject: (error: Error) => void}> = [];
	let buffer = '';
	let stderr = '';
	let exited: Error | undefined;
	child.stdout.on('data', (chunk: Buffer) => {
		buffer += chunk.toString();
		for (let end = buffer.indexOf('\n'); end !== -1; end = buffer.indexOf('\n')) {
			const line = buffer.slice(0, end);
			buffer = buffer.slice(end + 1);
			const waiter = waiting.shift();
			if (waiter === undefined) {
				lines.push(line);
			} else {
				waiter.resolve(line);
			}
		}
	});
	child.stderr.on('data', (chunk: Buffer) => {
		stderr += chunk.toString();
	});
	const exit = new Promise<void>(resolve => {
		child.on('exit', (code, signal) => {
			exited = new Error(`The worker (${config.client}) exited (${signal ?? code}):\n${stderr}`);
			for (const waiter of waiting.splice(0)) {
				waiter.reject(exited);
			}

			resolve();
		});
	});
	const next = async (expected?: string): Promise<string> => {
		const line = lines.shift() ?? await new Promise<string>((resolve, reject) => {
			if (exited === undefined) {
				waiting.push({resolve, reject});
			} else {
				reject(exited);
			}
		});
		if (expected !== undefined && line !== expected) {
			throw new Error(`The worker (${config.client}) said ${JSON.stringify(line)}, not ${expected}:\n${stderr}`);
		}

		return line;
	};

	return {
		ready: next('ready').then(() => undefined),
		async prepare(job) {
			child.stdin.write(`${JSON.stringify(job)}\n`);
			await next('set');
		},
		async go() {
			child.stdin.write('go\n');
			return JSON.parse(await next()) as WorkerSummary;
		},
		async close() {
			child.stdin.end();
			const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
			await exit;
			clearTimeout(timer);
		},
	};
};

/** Resolves once `condition` holds, looking every `everyMs`; rejects after `withinMs`. */
export const eventually = async (condition: () => boolean | Promise<boolean>, withinMs: number, everyMs = 10): Promise<void> => {
	const deadline = Date.now() + withinMs;
	while (!await condition()) {
		if (Date.now() > deadline) {
			throw new Error(`The condition did not hold within ${withinMs} ms.`);
		}

		await new Promise(resolve => {
			setTimeout(resolve, everyMs);
		});
	}
};

/**
Registers an `afterEach` that runs, newest first, whatever the test handed to the function it returns:
servers, clients and proxies a test starts are closed however it ends.
*/
export const useCleanups = (): ((cleanup: () => unknown) => void) => {
	let cleanups: Array<() => unknown> = [];
	afterEach(async () => {
		const pending = cleanups.reverse();
		cleanups = [];
		for (const cleanup of pending) {
			await cleanup();
		}
	});
	return cleanup => {
		cleanups.push(cleanup);
	};
};

/**
A loopback API that answers its first request with a 429 asking to wait `retryAfter` seconds and every
other with a 200 `{}`: when each request arrived (with its `x-client` header) and when the 429 went.
*/
export const rateLimitedOnce = async (retryAfter: string) => {
	const arrivals: Array<{readonly client: string; readonly at: number}> = [];
	let tooManyAt: number | undefined;
	const server = await startServer((request, response) => {
		arrivals.push({client: String(request.headers['x-client']), at: Date.now()});
		if (tooManyAt === undefined) {
			tooManyAt = Date.now();
			sendError(response, 429, 'RATE_LIMIT_EXCEEDED', {'retry-after': retryAfter});
			return;
		}

		response.writeHead(200, {'content-type': 'application/json'}).end('{}');
	});
	return {
		...server,
		arrivals,
		/** When the 429 went; throws if none did yet. */
		tooManyAt(): number {
			if (tooManyAt === undefined) {
				throw new Error('No request has met the 429 yet.');
			}

			return tooManyAt;
		},
	};
};
