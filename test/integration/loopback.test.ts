import {spawn} from 'node:child_process';
import {fileURLToPath} from 'node:url';
import ky, {isNetworkError} from 'ky';
import {afterEach, describe, expect, it} from 'vitest';
import {createKnoudsFetch, isKnoudsError, knoudsRetry} from '../../src/index.js';
import {until} from '../support/clock.js';
import {sendError, startServer} from './server.js';

type Server = Awaited<ReturnType<typeof startServer>>;
let server: Server | undefined;
afterEach(async () => {
	await server?.close();
	server = undefined;
});

describe('against a real loopback server', () => {
	it('retries a rate limit and a provider failure through ky and through fetch', async () => {
		let n = 0;
		server = await startServer((_request, response) => {
			n++;
			if (n % 3 === 1) {
				sendError(response, 429, 'RATE_LIMIT_EXCEEDED', {'retry-after': '0'});
			} else if (n % 3 === 2) {
				sendError(response, 500, 'EXECUTION_FAILED');
			} else {
				response.end(JSON.stringify({output: n}));
			}
		});
		const api = knoudsRetry(ky.create({baseUrl: `${server.url}/`}), {random: () => 0});
		expect(await api.post('v1/models/m/run', {json: {inputs: {}}}).json()).toEqual({output: 3});
		const response = await createKnoudsFetch({random: () => 0})(`${server.url}/v1/models/m/run`, {method: 'POST', body: '{"inputs":{}}'});
		expect(await response.json()).toEqual({output: 6});
	});

	it('resends a GET but not a POST after the server resets the connection mid-request', async () => {
		server = await startServer((request, response) => {
			if (server!.requests() === 1 || request.method === 'POST') {
				request.socket.destroy();
				return;
			}

			response.end('{}');
		});
		const api = knoudsRetry(ky.create({baseUrl: `${server.url}/`}), {random: () => 0});
		await api.get('x');
		expect(server.requests()).toBe(2);
		const error: unknown = await api.post('x', {json: {inputs: {}}}).catch((error_: unknown) => error_);
		expect(isNetworkError(error)).toBe(true);
		expect(server.requests()).toBe(3);
	});

	it('aborts a slow response at once when the caller aborts', async () => {
		server = await startServer(() => {
			// Never answers.
		});
		const controller = new AbortController();
		const call = knoudsRetry(ky.create({baseUrl: `${server.url}/`, timeout: false})).get('slow', {signal: controller.signal});
		const rejected = expect(call).rejects.toThrow('caller gave up');
		// Aborted once the request is in flight, however loaded the machine.
		await until(() => server!.requests() === 1, 100_000);
		const abortedAt = performance.now();
		controller.abort(new Error('caller gave up'));
		await rejected;
		// At once: within a few event-loop turns of the abort, not at some timeout (there is none) or retry.
		expect(performance.now() - abortedAt).toBeLessThan(500);
		expect(server.requests()).toBe(1);
	});

	it('surfaces a timeout after the attempt timeout against a slow server, retrying a GET once per policy', async () => {
		server = await startServer(() => {
			// Never answers.
		});
		const api = knoudsRetry(ky.create({baseUrl: `${server.url}/`, timeout: 100}), {random: () => 0, policy: {TIMEOUT: 1}});
		await expect(api.get('slow')).rejects.toMatchObject({name: 'TimeoutError'});
		expect(server.requests()).toBe(2);
	});

	it('lets a script that made calls with waits and timeouts exit by itself', async () => {
		let n = 0;
		server = await startServer((_request, response) => {
			n++;
			if (n % 2 === 1) {
				sendError(response, 500, 'EXECUTION_FAILED');
			} else {
				response.end('{}');
			}
		});
		// The source, not dist/: this is about the timers the code leaves, not about the build.
		const entry = fileURLToPath(new URL('../../src/index.ts', import.meta.url));
		const hooks = fileURLToPath(new URL('source-hooks.mjs', import.meta.url));
		const script = `
			import ky from 'ky';
			import {knoudsRetry, createKnoudsFetch} from ${JSON.stringify(entry)};
			const api = knoudsRetry(ky.create({baseUrl: ${JSON.stringify(`${server.url}/`)}, timeout: 30000, totalTimeout: 60000}), {policy: {EXECUTION_FAILED: {minDelay: 10, maxDelay: 20}}});
			await api.get('a').json();
			const knoudsFetch = createKnoudsFetch({timeout: 30000, totalTimeout: 60000, policy: {EXECUTION_FAILED: {minDelay: 10, maxDelay: 20}}});
			await (await knoudsFetch(${JSON.stringify(`${server.url}/b`)})).text();
			console.log('done');
		`;
		const child = spawn(process.execPath, ['--experimental-transform-types', '--no-warnings', '--import', hooks, '--input-type=module', '-e', script], {cwd: fileURLToPath(new URL('../..', import.meta.url))});
		let output = '';
		child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
		child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
		// Left pending, the 30 s attempt timer or the 60 s total timer would hold the process open; the kill is only a backstop.
		const killer = setTimeout(() => child.kill(), 15_000);
		const code = await new Promise(resolve => child.on('exit', resolve));
		clearTimeout(killer);
		expect(output.trim()).toBe('done');
		expect(code).toBe(0);
	}, 20_000);

	it('surfaces every KnoudsError field from a real response', async () => {
		server = await startServer((_request, response) => {
			sendError(response, 402, 'INSUFFICIENT_CREDITS');
		});
		const error: unknown = await knoudsRetry(ky.create({baseUrl: `${server.url}/`})).post('run').catch((error_: unknown) => error_);
		expect(isKnoudsError(error, 'INSUFFICIENT_CREDITS')).toBe(true);
		expect(error).toMatchObject({status: 402, attempts: 1, retryable: false, apiMessage: 'failed with INSUFFICIENT_CREDITS'});
	});
});
