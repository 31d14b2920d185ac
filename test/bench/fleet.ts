/**
The fleet cases (issue: fleet-safe retrying): the same batch through knouds-retry and ky's built-in retry
on a rate-limited simulator (both limiter models), in a total outage, and at 10% transient failures.
*/
import type {ScenarioInput} from 'knouds-retry/testing';
import {knoudsClient, kyClient} from './clients.ts';
import {runCase, table, uniformBatch, type Case, type Row} from './harness.ts';

const calls = 200;
const concurrency = 32;
const perWindow = 20;
const windowMs = 2000;

const limited = (algorithm: 'fixed-window' | 'token-bucket'): ScenarioInput =>
	({extends: 'rate-limited', rateLimit: {algorithm, windowMs}});

const batch = uniformBatch(calls);

/** The fleet cases, by name. */
export const fleetCases: readonly Case[] = [
	{
		name: `Rate limit: fixed window, ${perWindow} per ${windowMs / 1000} s`,
		scenario: limited('fixed-window'),
		runs: 3,
		batch,
		concurrency,
		// A full window's worth at the start of each window, from the one the batch starts in.
		ideal: startedAt => ((Math.floor(startedAt / windowMs) + Math.ceil(calls / perWindow) - 1) * windowMs) - startedAt,
	},
	{
		name: `Rate limit: token bucket, ${perWindow} per ${windowMs / 1000} s`,
		scenario: limited('token-bucket'),
		runs: 3,
		batch,
		concurrency,
		// The full bucket at once, then one request per refill.
		ideal: () => Math.max(0, calls - perWindow) * windowMs / perWindow,
	},
	// One run: its figures hardly vary, and ky's run alone takes over two minutes, which the limit lets it finish.
	{name: 'Total outage (every run EXECUTION_FAILED)', scenario: {faults: {outage: {startMs: 0, durationMs: Number.MAX_SAFE_INTEGER, respond: 'execution-failed'}}}, runs: 1, batch, concurrency, limitMs: 180_000},
	{name: '10% transient EXECUTION_FAILED', scenario: {faults: {executionFailed: 0.1}}, runs: 3, batch, concurrency},
];

/** Runs the fleet cases (those whose name contains `only`, if given) and returns their tables. */
export const runFleet = async (only?: string): Promise<{markdown: string; results: Array<{test: Case; rows: Row[]}>}> => {
	const results: Array<{test: Case; rows: Row[]}> = [];
	for (const test of fleetCases.filter(({name}) => only === undefined || name.includes(only))) {
		results.push({test, rows: await runCase(test, [knoudsClient, kyClient])});
	}

	return {markdown: results.map(({test, rows}) => table(test, rows)).join('\n'), results};
};
