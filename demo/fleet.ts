/**
`npm run demo -- --fleet`: a fleet of processes sharing one account on the simulator's `rate-limited`
scenario, run three ways side by side (plain ky with its retry tuned, knouds-retry with each process's
own in-memory store, knouds-retry with one Redis store), each fleet against a simulator of its own.
Where no Redis server answers (REDIS_URL, or 127.0.0.1:6379), it says so and runs the other two.
*/
import {MultiBar, Presets} from 'cli-progress';
import {createKnoudsSimulator, scenarios} from 'knouds-retry/testing';
import {tunedKyRetry} from './clients.ts';
import type {DemoFleetKind, DemoOrder, DemoProgress, DemoResult} from './fleet-process.ts';
import {printFleetPlan, printFleetReport, type DemoFleet, type FleetRun} from './fleet-report.ts';
import {formatRetry} from './format.ts';
import {forkFleet} from './process-fleet.ts';
import {dropKeys, freshPrefix, redisPlace, redisProblem, redisUrl} from './redis.ts';
import {sentDuringKnownWaits} from './timeline.ts';

const shape = {processes: 4, callsEach: 25, concurrency: 4} as const;
const scenarioName = 'rate-limited';
const scenario = scenarios[scenarioName];
const fleets: ReadonlyArray<DemoFleet & {readonly kind: DemoFleetKind}> = [
	{kind: 'ky', name: 'ky tuned', description: `ky.create({retry: ${formatRetry(tunedKyRetry)}}) in each process`},
	{kind: 'memory', name: 'knouds, memory', description: 'knoudsRetry(ky.create(...)) in each process, with its default store: in memory, one per process'},
	{kind: 'redis', name: 'knouds, Redis', description: `knoudsRetry(ky.create(...), {store: createRedisStore({client, prefix})}) in each process: one store for all, on ${redisPlace(redisUrl)}`},
];

const problem = await redisProblem(redisUrl);
const missing = problem === undefined ? undefined : {name: 'knouds, Redis', why: `no Redis server answered at ${redisPlace(redisUrl)} (set REDIS_URL): ${problem}`};
const running = fleets.filter(({kind}) => kind !== 'redis' || missing === undefined);
printFleetPlan({shape, scenario, fleets: running, missing});

const prefix = freshPrefix('demo');
const nameWidth = Math.max(...running.map(({name}) => name.length));
const bars = new MultiBar({
	format: '  {name} {bar} {value}/{total} calls | {ok} ok, {failed} failed | {requests} requests, {tooMany} 429s',
	noTTYOutput: true,
	notTTYSchedule: 2000,
	hideCursor: true,
}, Presets.shades_classic);
// Each fleet: its simulator, its progress bar and the results counted on it so far.
const setups = await Promise.all(running.map(async fleet => ({
	...fleet,
	sim: await createKnoudsSimulator({scenario: scenarioName}),
	bar: bars.create(shape.processes * shape.callsEach, 0, {name: fleet.name.padEnd(nameWidth), ok: 0, failed: 0, requests: 0, tooMany: 0}),
	ok: 0,
	failed: 0,
})));
// Process i belongs to fleet ⌊i / processes⌋: all the fleets' processes are one pool, started at one instant.
const fleetOf = (process: number): number => Math.floor(process / shape.processes);
const orders: DemoOrder[] = setups.flatMap(({kind, sim}) => Array.from({length: shape.processes}, () => ({
	url: sim.url,
	kind,
	calls: shape.callsEach,
	concurrency: shape.concurrency,
	...(kind === 'redis' ? {redis: {url: redisUrl, prefix}} : {}),
})));

const sum = (values: readonly number[]): number => values.reduce((total, value) => total + value, 0);
const runFleets = async (): Promise<FleetRun[]> => {
	const pool = await forkFleet<DemoOrder, DemoResult, DemoProgress>(new URL('fleet-process.ts', import.meta.url), orders.length);
	let ended = false;
	try {
		const windowMs = scenario.rateLimit.windowMs;
		const {startedAt, results} = await pool.run(orders, {
			// A fixed window counts from the clock's window boundaries: every fleet starts at one.
			startAt: preparedAt => Math.ceil((preparedAt + 300) / windowMs) * windowMs,
			onProgress(process, {ok}) {
				const setup = setups[fleetOf(process)];
				if (setup !== undefined) {
					setup.ok += ok ? 1 : 0;
					setup.failed += ok ? 0 : 1;
					const stats = setup.sim.stats();
					setup.bar.update(setup.ok + setup.failed, {ok: setup.ok, failed: setup.failed, requests: stats.requests, tooMany: stats.rateLimited});
				}
			},
			deadlineMs: 120_000,
		});
		ended = true;
		return setups.map(({name, sim}, index) => {
			const own = results.filter((_, process) => fleetOf(process) === index);
			const failures = new Map<string, number>();
			for (const [code, count] of own.flatMap(result => Object.entries(result.failures))) {
				failures.set(code, (failures.get(code) ?? 0) + count);
			}

			const stats = sim.stats();
			return {
				name,
				calls: shape.processes * shape.callsEach,
				ok: sum(own.map(result => result.ok)),
				failures,
				requests: stats.requests,
				tooMany: stats.rateLimited,
				sentDuringKnownWait: sentDuringKnownWaits(own.map(result => result.timeline)),
				makespanMs: Math.max(...own.map(result => result.finishedAt)) - startedAt,
			};
		});
	} finally {
		// A run that failed may leave processes busy: end them rather than wait.
		pool.close(!ended);
	}
};

let runs: FleetRun[];
try {
	runs = await runFleets();
} finally {
	bars.stop();
	await Promise.all(setups.map(async ({sim}) => sim.close()));
	if (missing === undefined) {
		await dropKeys(redisUrl, prefix);
	}
}

// A fixed window from the start of one: each window takes its allowance at its start.
const windows = Math.ceil(shape.processes * shape.callsEach / (scenario.tiers['pro']?.requestsPerWindow ?? 1));
printFleetReport(runs, {missing, best: {windows, ms: (windows - 1) * scenario.rateLimit.windowMs}});
