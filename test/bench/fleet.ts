/**
The fleet cases (issue: fleet-safe retrying): the same batch through knouds-retry and ky's built-in retry
under each rate-limit model the simulator offers (a clock-aligned fixed window, a sliding log, a token
bucket with a small burst, and a per-minute fixed window on a fake clock), in a total outage, and at 10%
transient failures. The rate-limit cases are what an adaptive rate controller is judged on.
*/
import {scenarios, type ScenarioInput, type SimulatorRateLimit, type SimulatorTier} from 'knouds-retry/testing';
import {knoudsClient, kyClient} from './clients.ts';
import {fakeStart, measureOnFakeClock, oneWayMs} from './fake-clock.ts';
import {runCase, table, uniformBatch, type Case, type Row} from './harness.ts';

const calls = 200;
const concurrency = 32;
/** The Pro key's limit in the rate-limit cases: requests per window, the window, and the token bucket's burst. */
export const perWindow = 40;
export const windowMs = 1000;
export const burst = 10;
const minuteMs = 60_000;

// The batch runs on the Pro key, so Pro's limit is the one it meets; the other tiers keep the scenario's.
const tiersWithPro = (proPerWindow: number): Readonly<Record<string, SimulatorTier>> => {
	const {tiers} = scenarios['rate-limited'];
	return {...tiers, pro: {...tiers['pro']!, requestsPerWindow: proPerWindow}};
};

/** Pro at `perWindow` requests per window, under the given model; nothing else goes wrong. */
export const limited = (rateLimit: SimulatorRateLimit): ScenarioInput =>
	({extends: 'rate-limited', rateLimit, tiers: tiersWithPro(perWindow)});

/** A full window's worth at the start of each clock-aligned window, from the one the batch of `total` calls starts in. */
export const fixedWindowIdeal = (window: number, total = calls) => (startedAt: number): number =>
	((Math.floor(startedAt / window) + Math.ceil(total / perWindow) - 1) * window) - startedAt;

const batch = uniformBatch(calls);

/** Every run answered 500 EXECUTION_FAILED, from the start and for good. */
export const totalOutage: ScenarioInput = {faults: {outage: {startMs: 0, durationMs: Number.MAX_SAFE_INTEGER, respond: 'execution-failed'}}};

/** The fleet cases, by name. */
export const fleetCases: readonly Case[] = [
	{
		name: `Rate limit: fixed window, ${perWindow} per ${windowMs / 1000} s`,
		scenario: limited({algorithm: 'fixed-window', windowMs}),
		alignTo: windowMs,
		runs: 3,
		batch,
		concurrency,
		ideal: fixedWindowIdeal(windowMs),
	},
	{
		name: `Rate limit: sliding log, ${perWindow} per ${windowMs / 1000} s`,
		scenario: limited({algorithm: 'sliding-log', windowMs}),
		runs: 3,
		batch,
		concurrency,
		// A full window's worth at once, then the next as the first leaves the log, a window later: no
		// boundary to catch, so the batch's start does not matter.
		ideal: () => (Math.ceil(calls / perWindow) - 1) * windowMs,
	},
	{
		name: `Rate limit: token bucket, ${perWindow} per ${windowMs / 1000} s, burst ${burst}`,
		scenario: limited({algorithm: 'token-bucket', windowMs, burst}),
		runs: 3,
		batch,
		concurrency,
		// The burst at once, then one request per refill (25 ms): far finer than a whole-second Retry-After.
		ideal: () => (calls - burst) * windowMs / perWindow,
	},
	{
		name: `Rate limit: per-minute fixed window, ${perWindow} per ${minuteMs / 1000} s, on a fake clock`,
		scenario: {rateLimit: {algorithm: 'fixed-window', windowMs: minuteMs}, tiers: tiersWithPro(perWindow)},
		runs: 3,
		batch,
		concurrency,
		ideal: fixedWindowIdeal(minuteMs),
		// Fake time: a client may take up to 30 fake minutes, which costs well under a real second.
		limitMs: 30 * minuteMs,
		measure: measureOnFakeClock,
		note: `On a fake clock, against an in-process API with the simulator's limiter: times are fake, from ${(fakeStart % minuteMs) / 1000} s into a minute, and a request takes ${oneWayMs} ms each way.`,
	},
	// One run: its figures hardly vary, and ky's run alone takes over two minutes, which the limit lets it finish.
	{name: 'Total outage (every run EXECUTION_FAILED)', scenario: totalOutage, runs: 1, batch, concurrency, limitMs: 180_000},
	{name: '10% transient EXECUTION_FAILED', scenario: {faults: {executionFailed: 0.1}}, runs: 3, batch, concurrency},
];

/**
The three figures a rate controller is judged on, in one line under each rate-limit table, so that a
case's verdict reads at a glance.
*/
export const judged = (rows: readonly Row[]): string => `Judged on (sent during a known Retry-After · 429s · makespan / ideal): ${rows.map(row =>
	`${row.client} ${row.sentDuringKnownWait} · ${row.tooMany} · ${row.idealMs === undefined ? 'n/a' : (row.makespanMs / row.idealMs).toFixed(2)}`).join('; ')}.\n`;

/** Runs the fleet cases (those whose name contains `only`, if given) and returns their tables. */
export const runFleet = async (only?: string): Promise<{markdown: string; results: Array<{test: Case; rows: Row[]}>}> => {
	const results: Array<{test: Case; rows: Row[]}> = [];
	for (const test of fleetCases.filter(({name}) => only === undefined || name.includes(only))) {
		results.push({test, rows: await runCase(test, [knoudsClient, kyClient])});
	}

	return {markdown: results.map(({test, rows}) => table(test, rows) + (test.ideal === undefined ? '' : judged(rows))).join('\n'), results};
};
