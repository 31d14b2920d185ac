/**
The cases of "A fleet of processes": four real processes share one account (one simulator, one limiter)
and run the same batch as plain ky, as knouds-retry with each process's own in-memory store, and as
knouds-retry with one Redis store; plus a run in which Redis is killed and restarted, and the Redis
commands a successful call costs.
*/
import {scenarios} from 'knouds-retry/testing';
import {burst, fixedWindowIdeal, judged, limited, perWindow, totalOutage, windowMs} from './fleet.ts';
import type {FleetKind} from './fleet-worker.ts';
import type {Case, Figures, Row} from './harness.ts';
import type {ScriptCalls} from './redis-server.ts';

/** The fleet: how many processes, how many calls each, how many of those in flight at once in each. */
export const fleetShape = {processes: 4, callsEach: 50, concurrency: 8} as const;
const total = fleetShape.processes * fleetShape.callsEach;
/** The retry budget's default burst: what a fleet sharing one budget may retry in an outage. */
const budgetBurst = 10;

/** One run of one fleet: the harness's figures, and what only a fleet of processes has. */
export type FleetRun = Figures & {
	/** Store operations the processes reported failed or timed out. */
	readonly storeErrors: number;
	/** The EVALSHA and EVAL commands the bench's own Redis ran during the run, when the case counts them. */
	readonly scripts: ScriptCalls | undefined;
};

/** Every run of one fleet in a case, with its medians as the table's row. */
export type FleetRuns = {readonly kind: FleetKind; readonly row: Row; readonly runs: readonly FleetRun[]};

/** A case of the fleet of processes. */
export type ProcessCase = Pick<Case, 'name' | 'scenario' | 'runs' | 'ideal' | 'alignTo' | 'limitMs'> & {
	/** What the case's numbers mean, printed under its table. */
	readonly note: string;
	readonly fleets: readonly FleetKind[];
	/**
	Where the Redis fleet's store lives: the shared server (REDIS_URL); the bench's own, whose script
	calls are counted; or the bench's own, killed about a third into each run and restarted empty.
	*/
	readonly redis: 'shared' | 'counted' | 'killed';
	/** A line under the table, drawn from the runs. */
	readonly summary?: (fleets: readonly FleetRuns[]) => string;
};

const all: readonly FleetKind[] = ['ky', 'memory', 'redis'];
const shape = `${fleetShape.processes} processes, ${fleetShape.callsEach} calls each, ${fleetShape.concurrency} at a time in each`;
const knownWait = '"Sent during a known Retry-After" counts the requests any process sent while a 429\'s Retry-After that any process of the fleet had received was still running, from each process\'s timeline of its traffic on the host\'s clock: a process that shares nothing cannot know of another\'s 429, and a store that shares the gate should.';
const perRun = (runs: readonly FleetRun[], figure: (run: FleetRun) => number | string): string => runs.map(figure).join(', ');
// The judged line, then each run's makespan: a median of three hides how far apart runs of a fleet can land.
const rateSummary = (fleets: readonly FleetRuns[]): string => `${judged(fleets.map(({row}) => row))}Makespans, run by run: ${fleets.map(({row, runs}) =>
	`${row.client} ${perRun(runs, run => `${(run.makespanMs / 1000).toFixed(1)} s`)}`).join('; ')}.\n`;
const fixedWindow = limited({algorithm: 'fixed-window', windowMs});

/** The cases, by name; the bench runs those whose name contains its filter (all when the section's heading does). */
export const processCases: readonly ProcessCase[] = [
	{
		name: `${fleetShape.processes} processes, fixed window, ${perWindow} per ${windowMs / 1000} s`,
		scenario: fixedWindow,
		alignTo: windowMs,
		runs: 3,
		ideal: fixedWindowIdeal(windowMs, total),
		fleets: all,
		redis: 'shared',
		note: `${shape}, against one simulator whose Pro key may send ${perWindow} requests per clock-aligned ${windowMs / 1000}-s window; each run starts at a window's start. ${knownWait}`,
		summary: rateSummary,
	},
	{
		name: `${fleetShape.processes} processes, token bucket, ${perWindow} per ${windowMs / 1000} s, burst ${burst}`,
		scenario: limited({algorithm: 'token-bucket', windowMs, burst}),
		runs: 3,
		ideal: () => (total - burst) * windowMs / perWindow,
		fleets: all,
		redis: 'shared',
		note: `${shape}, against one token bucket of ${burst} refilled at ${perWindow} per ${windowMs / 1000} s (one request per ${windowMs / perWindow} ms). Ideal: the burst at once, then one request per refill. ${knownWait}`,
		summary: rateSummary,
	},
	{
		name: `${fleetShape.processes} processes, total outage (every run EXECUTION_FAILED)`,
		scenario: totalOutage,
		runs: 1,
		limitMs: 180_000,
		fleets: all,
		redis: 'shared',
		note: `${shape}; every run fails. The retry budget (a burst of ${budgetBurst}, earning 0.1 per success) is what bounds an outage's cost: processes sharing one Redis store share one budget, so the fleet sends at most its calls plus one burst (${total} + ${budgetBurst}); each in-memory process has a budget of its own (up to ${total} + ${fleetShape.processes} × ${budgetBurst}). ky retries every call 20 times. One run: the figures hardly vary, and ky's takes over two minutes.`,
		summary: fleets => `Requests sent for ${total} calls (the bound for one shared budget: ${total + budgetBurst}): ${fleets.map(({row}) =>
			`${row.client} ${row.sent}${row.sent <= total + budgetBurst ? ' (within)' : ' (over)'}`).join('; ')}.\n`,
	},
	{
		name: `${fleetShape.processes} processes, Redis killed mid-run (fixed window, ${perWindow} per ${windowMs / 1000} s)`,
		scenario: fixedWindow,
		alignTo: windowMs,
		runs: 3,
		ideal: fixedWindowIdeal(windowMs, total),
		fleets: ['redis'],
		redis: 'killed',
		note: `The Redis fleet alone, on the fixed window above, against a redis-server the bench started for it (no persistence); compare it with the Redis row of the fixed-window case, where Redis stays up. About a third of the ideal into each run the bench SIGKILLs it, and starts an empty one on the same port 1.5 s later. Meanwhile each store step fails or times out (\`storeTimeout\`, 1 s), is reported to \`onStoreError\` and done on the process's own state; once Redis answers again the processes are back on the shared state, which starts empty (the script is loaded again with EVAL after NOSCRIPT).`,
		summary: ([redis]) => redis === undefined ? '' : `Calls completed, run by run: ${perRun(redis.runs, run => `${run.succeeded} / ${run.calls}`)}; ${
			redis.runs.every(run => run.succeeded === run.calls) ? 'every call completed in every run' : '**not every call completed**'}. Store errors reported (\`onStoreError\`, all processes), run by run: ${perRun(redis.runs, run => run.storeErrors)}.\n`,
	},
	{
		name: `${fleetShape.processes} processes, no limit met: Redis commands per call`,
		scenario: 'default',
		runs: 3,
		fleets: all,
		redis: 'counted',
		note: `${shape}, on the simulator's \`default\` scenario: Pro's ${scenarios.default.tiers['pro']?.requestsPerWindow ?? 'many'} requests per minute, which ${total} calls do not reach, and no faults, so every call succeeds at its first attempt. The Redis fleet runs against a redis-server of the bench's own, whose \`INFO commandstats\` is read before and after each run: the EVALSHA and EVAL calls it ran, over the calls that succeeded, are what a call costs in Redis commands in steady state (docs/redis.md says two). A run that meets a server without the store's script (a fresh or restarted one) pays one command more for each step that finds NOSCRIPT; the line below says when that happened.`,
		summary: fleets => {
			const runs = fleets.find(({kind}) => kind === 'redis')?.runs ?? [];
			const perCall = runs.map(run => (run.scripts?.calls ?? Number.NaN) / run.succeeded);
			const median = perCall.toSorted((a, b) => a - b)[Math.floor(perCall.length / 2)];
			return median === undefined ? '' : `Redis commands (EVALSHA + EVAL) per successful call: ${median.toFixed(2)} (median). Run by run: ${perRun(runs, run =>
				`${run.scripts?.calls} for ${run.succeeded} calls${run.scripts?.failed ? `, ${run.scripts.failed} of them EVALSHAs refused with NOSCRIPT (each step sent again as an EVAL)` : ''}`)}.\n`;
		},
	},
];
