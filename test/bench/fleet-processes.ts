/**
"A fleet of processes": runs the cases of fleet-process-cases.ts on four forked processes (fleet-worker.ts)
against one simulator started here, and returns their tables. The processes are forked once and serve
every run; each run gets a fresh simulator and, for the Redis fleet, a fresh prefix.
*/
import {setTimeout as delay} from 'node:timers/promises';
import type {Redis} from 'ioredis';
import {createKnoudsSimulator} from 'knouds-retry/testing';
import {forkFleet, type ProcessFleet} from '../../demo/process-fleet.ts';
import {connectRedis, dropKeys, freshPrefix, redisPlace, redisProblem, redisUrl} from '../../demo/redis.ts';
import {sentDuringKnownWaits} from '../../demo/timeline.ts';
import {fleetShape, processCases, type FleetRun, type FleetRuns, type ProcessCase} from './fleet-process-cases.ts';
import type {FleetKind, FleetOrder, FleetResult} from './fleet-worker.ts';
import {limitOf, medians, table} from './harness.ts';
import {scriptCalls, startOwnRedis, type OwnRedis, type ScriptCalls} from './redis-server.ts';

/** The section's heading; a filter it contains runs every case of the section. */
export const fleetProcessesHeading = 'A fleet of processes';
const clientNames: Readonly<Record<FleetKind, string>> = {
	ky: 'ky retry',
	memory: 'knouds-retry, in-memory store per process',
	redis: 'knouds-retry, one Redis store',
};

// Time for the go to reach every process before the start, on a loaded machine.
const startMarginMs = 300;
// How long the bench's own Redis stays dead once killed.
const redisDownMs = 1500;
// How long past its limit a run may go before the fleet is given up on: the processes' own signals end their calls at the limit.
const windDownMs = 30_000;

/** The processes, and a fresh Redis prefix for each run, so that no run inherits what another learned. */
type Fleet = {readonly pool: ProcessFleet<FleetOrder, FleetResult, never>; readonly nextPrefix: () => string};
/** Where a case's Redis fleet finds its server (with, for the bench's own, the server and a client that reads its counts), or why it cannot run. */
type RedisTarget = {readonly url: string; readonly own?: OwnRedis; readonly admin?: Redis} | {readonly why: string};

const sum = (values: readonly number[]): number => values.reduce((total, value) => total + value, 0);
const since = (before: ScriptCalls, after: ScriptCalls): ScriptCalls => ({calls: after.calls - before.calls, failed: after.failed - before.failed});

// Kills the bench's own Redis about a third of the ideal into the run, and restarts it empty a little later.
const killMidRun = async (own: OwnRedis, startAt: number, test: ProcessCase): Promise<void> => {
	await delay(startAt + ((test.ideal?.(startAt) ?? 4000) / 3) - Date.now());
	await own.kill();
	await delay(redisDownMs);
	await own.restart();
};

/** Runs a case once through one fleet: its processes all start at one instant, against one fresh simulator. */
const measureRun = async ({pool, nextPrefix}: Fleet, test: ProcessCase, kind: FleetKind, redis: RedisTarget): Promise<FleetRun> => {
	const sim = await createKnoudsSimulator({scenario: test.scenario});
	const limitMs = limitOf(test);
	const target = kind === 'redis' && 'url' in redis ? redis : undefined;
	// One prefix for the run's processes: what they share.
	const shared = target === undefined ? {} : {redis: {url: target.url, prefix: nextPrefix()}};
	const orders: FleetOrder[] = Array.from({length: pool.size}, () => ({url: sim.url, kind, calls: fleetShape.callsEach, concurrency: fleetShape.concurrency, limitMs, ...shared}));
	const admin = test.redis === 'counted' ? target?.admin : undefined;
	const scriptsBefore = admin === undefined ? undefined : await scriptCalls(admin);
	let killing: Promise<void> | undefined;
	try {
		const {startedAt, results} = await pool.run(orders, {
			startAt(preparedAt) {
				const at = test.alignTo === undefined ? preparedAt + startMarginMs : Math.ceil((preparedAt + startMarginMs) / test.alignTo) * test.alignTo;
				if (test.redis === 'killed' && target?.own !== undefined) {
					killing = killMidRun(target.own, at, test);
				}

				return at;
			},
			deadlineMs: limitMs + windDownMs,
		});
		const stats = sim.stats();
		const calls = pool.size * fleetShape.callsEach;
		return {
			calls,
			succeeded: sum(results.map(result => result.succeeded)),
			sent: stats.requests,
			tooMany: stats.rateLimited,
			sentDuringKnownWait: sentDuringKnownWaits(results.map(result => result.timeline)),
			makespanMs: Math.max(...results.map(result => result.finishedAt)) - startedAt,
			idealMs: test.ideal?.(startedAt),
			terminalRetried: 0,
			unfinished: calls - sum(results.map(result => result.finished)),
			storeErrors: sum(results.map(result => result.storeErrors)),
			scripts: admin === undefined || scriptsBefore === undefined ? undefined : since(scriptsBefore, await scriptCalls(admin)),
		};
	} finally {
		await sim.close();
		await killing;
	}
};

/** Runs a case: each run goes through every fleet in turn, so that load from elsewhere falls on all alike. */
const runProcessCase = async (fleet: Fleet, test: ProcessCase, redis: RedisTarget): Promise<{fleets: FleetRuns[]; missing: Array<{client: string; why: string}>}> => {
	const kinds = test.fleets.filter(kind => kind !== 'redis' || 'url' in redis);
	const byKind = new Map<FleetKind, FleetRun[]>(kinds.map(kind => [kind, []]));
	for (let run = 0; run < test.runs; run++) {
		for (const kind of kinds) {
			byKind.get(kind)!.push(await measureRun(fleet, test, kind, redis));
		}
	}

	return {
		fleets: kinds.map(kind => ({kind, runs: byKind.get(kind)!, row: {client: clientNames[kind], ...medians(byKind.get(kind)!)}})),
		missing: test.fleets.includes('redis') && 'why' in redis ? [{client: clientNames.redis, why: redis.why}] : [],
	};
};

// The server each kind of case's Redis fleet uses: the shared one, or the bench's own.
const redisTargets = async (tests: readonly ProcessCase[]): Promise<{shared: RedisTarget; own: RedisTarget}> => {
	const problem = await redisProblem(redisUrl);
	const shared = problem === undefined ? {url: redisUrl} : {why: `no Redis server answered at ${redisPlace(redisUrl)} (set REDIS_URL): ${problem}`};
	const own = tests.some(test => test.redis !== 'shared') ? await startOwnRedis() : {why: 'not needed'};
	return {shared, own: 'why' in own ? own : {url: own.url, own, admin: await connectRedis(own.url)}};
};

/** Runs the section's cases (those whose name contains `only`, or all when the heading does) and returns their markdown, empty when none ran. */
export const runFleetProcesses = async (only?: string): Promise<{markdown: string}> => {
	const whole = only === undefined || fleetProcessesHeading.toLowerCase().includes(only.toLowerCase());
	const tests = processCases.filter(({name}) => whole || name.includes(only));
	if (tests.length === 0) {
		return {markdown: ''};
	}

	const prefix = freshPrefix('bench');
	let count = 0;
	const {shared, own} = await redisTargets(tests);
	const pool = await forkFleet<FleetOrder, FleetResult>(new URL('fleet-worker.ts', import.meta.url), fleetShape.processes);
	const fleet: Fleet = {pool, nextPrefix: () => `${prefix}-${count++}`};
	const sections: string[] = [];
	let failed = false;
	try {
		for (const test of tests) {
			const {fleets, missing} = await runProcessCase(fleet, test, test.redis === 'shared' ? shared : own);
			sections.push(table(test, fleets.map(({row}) => row), missing) + (test.summary?.(fleets) ?? ''));
		}
	} catch (error) {
		failed = true;
		throw error;
	} finally {
		// A fleet whose run failed may still be busy: end it rather than wait on it.
		pool.close(failed);
		if ('own' in own) {
			own.admin?.disconnect();
			await own.own.stop();
		}

		if ('url' in shared) {
			await dropKeys(shared.url, prefix);
		}
	}

	return {markdown: sections.join('\n')};
};
