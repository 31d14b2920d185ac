import {afterAll, beforeAll, expect, it} from 'vitest';
import {createKnoudsSimulator, scenarios, type KnoudsSimulator, type ScenarioInput, type SimulatorTier} from '../../../src/testing/index.js';
import {recordingProxy, startWorker, type ClientKind, type RecordingProxy, type Worker, type WorkerJob, type WorkerSummary, useCleanups} from './harness.js';
import {describeRedis, freshPrefix, redisUrl} from './support.js';

// A fleet: four Node processes, one with each Redis client the store supports, each making its calls
// through createKnoudsFetch with a Redis store on one prefix, against one simulator. What one process
// learns holds the others: the Retry-After gate, the retry budget and the configured pacer are the
// fleet's, not each process's.

const cleanup = useCleanups();

const kinds: readonly ClientKind[] = ['ioredis 6', 'node-redis 6', 'ioredis 5', 'node-redis 5'];

// The fleet's processes, started once: each test gives them a job on a fresh prefix, with clients made for it.
let workers: Worker[] = [];
beforeAll(async () => {
	workers = kinds.map(client => startWorker({redisUrl, client}));
	await Promise.all(workers.map(async worker => worker.ready));
}, 60_000);
afterAll(async () => {
	await Promise.all(workers.map(async worker => worker.close()));
});

// A simulator behind a proxy that logs when each request reached it.
const api = async (scenario: ScenarioInput): Promise<{sim: KnoudsSimulator; proxy: RecordingProxy}> => {
	const sim = await createKnoudsSimulator({scenario});
	cleanup(async () => sim.close());
	const proxy = await recordingProxy(sim.url);
	cleanup(proxy.close);
	return {sim, proxy};
};

// Gives every process the job, lets them all go at once, and waits for their summaries.
const fleet = async (job: Omit<WorkerJob, 'path' | 'key'>): Promise<WorkerSummary[]> => {
	await Promise.all(workers.map(async worker => worker.prepare({path: '/v1/models/text-small/run', key: 'sim-pro-key', ...job})));
	return Promise.all(workers.map(async worker => worker.go()));
};

const proTiers = (requestsPerWindow: number): Readonly<Record<string, SimulatorTier>> => {
	const {tiers} = scenarios['rate-limited'];
	return {...tiers, pro: {...tiers['pro']!, requestsPerWindow}};
};

describeRedis('A fleet of processes with a Redis store on one prefix', () => {
	it('sends no request from any process while a Retry-After any process met is in force, and every call succeeds', async () => {
		const {sim} = await api({extends: 'rate-limited', rateLimit: {algorithm: 'fixed-window', windowMs: 1000}, tiers: proTiers(30)});
		const summaries = await fleet({prefix: freshPrefix(), url: sim.url, calls: 30, concurrency: 4});
		expect(summaries.map(summary => [summary.ok, summary.storeErrors])).toEqual(kinds.map(() => [30, []]));
		const requests = summaries.flatMap(summary => summary.requests);
		expect(requests.every(request => request.admittedAt !== undefined)).toBe(true);
		expect(requests).toHaveLength(sim.stats().requests);
		// The gates the fleet closed, in the order Redis wrote them; each 429 replaces the last one's wait, for
		// every process alike.
		const gates = summaries.flatMap(summary => summary.gateSets).sort((a, b) => a.at - b.at);
		expect(gates.length).toBeGreaterThan(0);
		const knownUntil = (at: number): number => gates.findLast(gate => gate.at < at)?.until ?? Number.NEGATIVE_INFINITY;
		// A request counts from the step that let it through: one let through before a gate was written is
		// on its way (the process could not know), one let through after it must not exist.
		const duringWait = requests.filter(request => request.admittedAt! < knownUntil(request.admittedAt!));
		expect(duringWait).toEqual([]);
		// The fleet did hold processes with gates other processes closed: the gate is the fleet's.
		const closedBy = new Map(summaries.flatMap((summary, index) => summary.gateSets.map(gate => [gate.until, index] as const)));
		const heldByOthers = summaries.flatMap((summary, index) => summary.gateHolds.filter(until => closedBy.has(until) && closedBy.get(until) !== index));
		expect(heldByOthers.length).toBeGreaterThan(0);
		expect(sim.stats().successfulRuns).toBe(4 * 30);
	}, 60_000);

	it('retries no more, over the whole fleet, than one retry budget\'s burst in a total outage', async () => {
		const {sim} = await api({faults: {outage: {startMs: 0, durationMs: Number.MAX_SAFE_INTEGER, respond: 'execution-failed'}}});
		const summaries = await fleet({prefix: freshPrefix(), url: sim.url, calls: 30, concurrency: 4});
		expect(summaries.map(summary => [summary.failed, summary.storeErrors])).toEqual(kinds.map(() => [30, []]));
		// 120 calls, and the default budget's burst of 10 retries (nothing succeeds, so nothing earns more):
		// each process with a budget of its own would retry 40 times.
		expect(sim.stats().requests).toBe((4 * 30) + 10);
		expect(sim.stats().byOutcome).toEqual({EXECUTION_FAILED: 130});
	}, 60_000);

	it('spaces the whole fleet\'s requests as one pacer with rateLimit: {requestsPerMinute}', async () => {
		const {sim, proxy} = await api('default');
		const calls = 8;
		const summaries = await fleet({prefix: freshPrefix(), url: proxy.url, calls, concurrency: 4, options: {rateLimit: {requestsPerMinute: 600}}, warmUp: true});
		expect(summaries.map(summary => [summary.ok, summary.storeErrors])).toEqual(kinds.map(() => [calls, []]));
		expect(sim.stats().requests).toBe((4 * calls) + 4);
		// 600 a minute is a slot every 100 ms on Redis's clock, for the fleet: the k-th request of the fleet is
		// let through no sooner than k slots after the first, whatever process sends it (a pacer per process
		// would let 4 through per slot).
		const admitted = summaries.flatMap(summary => summary.requests.map(request => request.admittedAt!)).sort((a, b) => a - b);
		expect(admitted).toHaveLength(4 * calls);
		const early = admitted.filter((at, k) => at - admitted[0]! < (k * 100) - 2);
		expect(early).toEqual([]);
		// And so they reach the API: 32 requests over 3.1 s, less what a loaded machine may delay the first by.
		const arrivals = proxy.arrivals.filter(arrival => arrival.path !== '/warm-up').map(arrival => arrival.at).sort((a, b) => a - b);
		expect(arrivals).toHaveLength(4 * calls);
		expect(arrivals.at(-1)! - arrivals[0]!).toBeGreaterThanOrEqual((((4 * calls) - 1) * 100) - 400);
	}, 60_000);
});
