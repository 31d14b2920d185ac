import {createServer} from 'node:http';
import type {AddressInfo} from 'node:net';
import {resolveScenario} from './resolve-scenario.js';
import {createRouter} from './router.js';
import {serve, type Server} from './serve.js';
import {createState} from './state.js';
import {createCounter, type SimulatorStats} from './stats.js';
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

const deepFreeze = <T>(value: T): T => {
	if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
		for (const child of Object.values(value)) {
			deepFreeze(child);
		}

		Object.freeze(value);
	}

	return value;
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
	// A private, frozen copy: the shipped scenarios stay as they are, whatever a caller does with this one.
	const scenario = deepFreeze(structuredClone(resolveScenario(options.scenario)));
	const now = options.now ?? Date.now;
	let startedAt = now();
	const served: Server = {
		scenario,
		state: createState(scenario),
		matchRoute: createRouter(scenario.paths),
		counter: createCounter(),
		now,
		startedAt: () => startedAt,
		held: new Map(),
		arrivals: {count: 0},
	};

	const server = createServer((request, response) => {
		serve(served, request, response).catch((error: unknown) => {
			// A request that breaks the simulator is the simulator's bug: say so loudly in the answer.
			if (!response.headersSent && !response.destroyed) {
				response.writeHead(500, {'content-type': 'application/json'}).end(JSON.stringify({error: `Simulator failure: ${String(error)}`}));
			}
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
		stats: () => served.counter.snapshot(served.state.ledger),
		async close() {
			for (const [timer, reply] of served.held) {
				clearTimeout(timer);
				// A charged answer held back at close never reaches its client.
				if (reply.charged === true) {
					served.counter.undelivered();
				}
			}

			served.held.clear();
			server.closeAllConnections();
			await new Promise<void>(resolve => {
				server.close(() => {
					resolve();
				});
			});
		},
	};
};
