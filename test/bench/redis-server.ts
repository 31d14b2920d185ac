/**
A redis-server of the bench's own, on a free port, that it may kill and restart at will and whose
command counts no one else's traffic touches: the shared server at REDIS_URL may be serving other runs.
*/
import {spawn, type ChildProcess} from 'node:child_process';
import {once} from 'node:events';
import {createServer} from 'node:net';
import {setTimeout as delay} from 'node:timers/promises';
import type {Redis} from 'ioredis';
import {redisProblem} from '../../demo/redis.ts';

/** A redis-server the bench started: where it listens, and how to kill, restart and stop it. */
export type OwnRedis = {
	readonly url: string;
	/** SIGKILLs the server: no shutdown, no goodbye to its clients. */
	readonly kill: () => Promise<void>;
	/** Starts an empty server on the same port (nothing is saved to disk, so nothing comes back). */
	readonly restart: () => Promise<void>;
	/** Kills it for good. */
	readonly stop: () => Promise<void>;
};

const freePort = async (): Promise<number> => {
	const server = createServer().listen(0, '127.0.0.1');
	await once(server, 'listening');
	const address = server.address();
	server.close();
	if (address === null || typeof address === 'string') {
		throw new Error('No free port: the probe server has no address.');
	}

	return address.port;
};

// Starts the server and waits until it answers; rejects with why it did not (no redis-server, say).
const launch = async (port: number): Promise<ChildProcess> => {
	const server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {stdio: 'ignore'});
	let failure: Error | undefined;
	server.once('error', error => {
		failure = error;
	});
	const url = `redis://127.0.0.1:${port}`;
	for (let waited = 0; waited < 5000; waited += 50) {
		if (failure !== undefined || server.exitCode !== null) {
			throw failure ?? new Error(`redis-server exited with code ${server.exitCode} on port ${port}.`);
		}

		if (await redisProblem(url) === undefined) {
			return server;
		}

		await delay(50);
	}

	server.kill('SIGKILL');
	throw new Error(`redis-server did not answer on port ${port} within 5 s.`);
};

const killed = async (server: ChildProcess): Promise<void> => {
	if (server.exitCode === null && server.signalCode === null) {
		const exited = once(server, 'exit');
		server.kill('SIGKILL');
		await exited;
	}
};

/** Starts a redis-server of the bench's own, or says why it could not. */
export const startOwnRedis = async (): Promise<OwnRedis | {readonly why: string}> => {
	const port = await freePort();
	let server: ChildProcess;
	try {
		server = await launch(port);
	} catch (error) {
		return {why: `the bench could not start a redis-server of its own (${error instanceof Error ? error.message : String(error)})`};
	}

	return {
		url: `redis://127.0.0.1:${port}`,
		kill: async () => killed(server),
		async restart() {
			await killed(server);
			server = await launch(port);
		},
		stop: async () => killed(server),
	};
};

/** What the server counted of the store's commands. */
export type ScriptCalls = {
	/** EVALSHA and EVAL calls. */
	readonly calls: number;
	/** EVALSHAs that failed (NOSCRIPT, when the server has not seen the script): the store sends each one's step again as an EVAL. */
	readonly failed: number;
};

/** The server's EVALSHA and EVAL counts so far, from its `INFO commandstats`. */
export const scriptCalls = async (client: Redis): Promise<ScriptCalls> => {
	const info = await client.info('commandstats');
	const of = (command: string, field: string): number => Number(new RegExp(`^cmdstat_${command}:.*\\b${field}=(\\d+)`, 'm').exec(info)?.[1] ?? 0);
	return {calls: of('evalsha', 'calls') + of('eval', 'calls'), failed: of('evalsha', 'failed_calls')};
};
