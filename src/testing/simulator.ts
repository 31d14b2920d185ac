import {createServer, type IncomingMessage, type ServerResponse} from 'node:http';
import type {AddressInfo} from 'node:net';
import {seededRandom} from './random.js';
import {resolveScenario} from './resolve-scenario.js';
import {createRouter} from './router.js';
import {handle} from './routes.js';
import {createState} from './state.js';
import {createCounter, outcomeOf, type SimulatorStats} from './stats.js';
import type {ScenarioInput, SimulatorScenario} from './types.js';

/**
Options of `createKnoudsSimulator()`.
*/
export type KnoudsSimulatorOptions = {
	/**
	The scenario to run: a name, or a partial scenario laid over one (see the simulator guide).
	@default 'default'
	*/
	readonly scenario?: ScenarioInput | undefined;
	/**
	The port to listen on; 0 picks a free one.
	@default 0
	*/
	readonly port?: number | undefined;
	/**
	The address to listen on.
	@default '127.0.0.1'
	*/
	readonly host?: string | undefined;
	/**
	The clock for rate-limit windows, the outage window and async run times, in epoch milliseconds.
	@default Date.now
	*/
	readonly now?: (() => number) | undefined;
};

/**
A running simulator.
*/
export type KnoudsSimulator = {
	/** The base URL, such as `http://127.0.0.1:40123`, without a trailing slash. */
	readonly url: string;
	/** The whole scenario it runs, with its accounts and their keys. */
	readonly scenario: SimulatorScenario;
	/** What it has seen and done so far: a snapshot, safe to keep. */
	stats(): SimulatorStats;
	/** Stops listening, drops open connections and cancels answers still held back. */
	close(): Promise<void>;
};

const maxBody = 1024 * 1024;

const proxyPage = (status: 502 | 503): string => {
	const title = status === 502 ? '502 Bad Gateway' : '503 Service Temporarily Unavailable';
	return `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>${title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`;
};

const readBody = async (request: IncomingMessage): Promise<string | undefined> => {
	const chunks: Buffer[] = [];
	let size = 0;
	for await (const chunk of request as AsyncIterable<Buffer>) {
		size += chunk.length;
		if (size > maxBody) {
			return undefined;
		}

		chunks.push(chunk);
	}

	return Buffer.concat(chunks).toString('utf8');
};

/**
Starts a Knouds API simulator: a real HTTP server on loopback that answers like the Knouds API, from a
stateful model of keys, tiers, credits, grants, models, workflows and executions, with the faults its
scenario names, all decided by a seeded random source.

@example
```
import {createKnoudsSimulator} from 'knouds-retry/testing';

const sim = await createKnoudsSimulator({scenario: 'flaky-provider'});
// Point your client at sim.url with the key 'sim-pro-key', then:
sim.stats().creditsCharged;
await sim.close();
```
*/
export const createKnoudsSimulator = async (options: KnoudsSimulatorOptions = {}): Promise<KnoudsSimulator> => {
	const scenario = resolveScenario(options.scenario);
	const now = options.now ?? Date.now;
	const random = seededRandom(scenario.seed);
	const state = createState(scenario, random);
	const counter = createCounter();
	const held = new Set<NodeJS.Timeout>();
	const {faults} = scenario;
	const matchRoute = createRouter(scenario.paths);
	let startedAt = now();

	const send = (response: ServerResponse, status: number, body: string, headers: Readonly<Record<string, string>>): void => {
		if (response.destroyed || response.writableEnded) {
			counter.undelivered();
			return;
		}

		response.writeHead(status, headers).end(body);
	};

	const serve = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
		const method = request.method ?? 'GET';
		const url = new URL(request.url ?? '/', 'http://simulator.invalid');
		const match = matchRoute(method, url.pathname);
		const {route} = match;
		// Every request draws the same numbers in the same order, so a seed replays a run request by request.
		const [resetBefore, proxy, proxyKind, resetAfter, slow] = [random(), random(), random(), random(), random()];
		const elapsed = now() - startedAt;
		const {outage} = faults;
		const inOutage = outage !== null && elapsed >= outage.startMs && elapsed < outage.startMs + outage.durationMs;
		if (resetBefore < faults.resetBeforeRead || (inOutage && outage.respond === 'reset')) {
			counter.count(route, inOutage ? 'reset-outage' : 'reset-before-read');
			request.socket.destroy();
			return;
		}

		const body = await readBody(request);
		if (proxy < faults.proxyError || (inOutage && outage.respond === 'proxy-503')) {
			const status = inOutage || proxyKind < 0.5 ? 503 : 502;
			counter.count(route, `proxy-${status}`);
			send(response, status, proxyPage(status), {'content-type': 'text/html'});
			return;
		}

		if (resetAfter < faults.resetAfterRead) {
			counter.count(route, 'reset-after-read');
			request.socket.destroy();
			return;
		}

		const header = request.headers['x-api-key'];
		const reply = body === undefined
			? {status: 400, body: {error: 'Request body over 1 MiB', code: 'INVALID_BODY'}}
			: inOutage
				? {status: 500, body: {error: 'Provider call failed: upstream unavailable', code: 'EXECUTION_FAILED'}}
				: handle(state, {method, url, apiKey: typeof header === 'string' ? header : undefined, body}, {faults, random, now: now()}, match);
		counter.count(route, outcomeOf(reply.status, reply.body));
		const delay = ('delayMs' in reply ? reply.delayMs ?? 0 : 0) + (slow < faults.slow ? faults.slowMs : 0);
		const write = (): void => {
			send(response, reply.status, JSON.stringify(reply.body), {'content-type': 'application/json', ...('headers' in reply ? reply.headers : {})});
		};

		if (delay <= 0) {
			write();
			return;
		}

		const timer = setTimeout(() => {
			held.delete(timer);
			write();
		}, delay);
		held.add(timer);
	};

	const server = createServer((request, response) => {
		serve(request, response).catch((error: unknown) => {
			// A request that breaks the simulator is the simulator's bug: say so loudly in the answer.
			send(response, 500, JSON.stringify({error: `Simulator failure: ${String(error)}`}), {'content-type': 'application/json'});
		});
	});
	await new Promise<void>((resolve, reject) => {
		server.once('error', reject);
		server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
			server.off('error', reject);
			resolve();
		});
	});
	startedAt = now();
	const {address, port} = server.address() as AddressInfo;
	const host = address.includes(':') ? `[${address}]` : address;

	return {
		url: `http://${host}:${port}`,
		scenario,
		stats: () => counter.snapshot(state.ledger),
		async close() {
			for (const timer of held) {
				clearTimeout(timer);
			}

			held.clear();
			server.closeAllConnections();
			await new Promise<void>(resolve => {
				server.close(() => {
					resolve();
				});
			});
		},
	};
};
