/**
The peer cases: knouds-retry, ky's built-in retry and the retry layers users pick instead, on the same
batch under rate limits, transient failures, a total outage and chaos. A tenth of the calls use a key
with no credits and a twentieth a key that may not run models, so that retrying the unretryable shows.
*/
import type {ScenarioInput} from 'knouds-retry/testing';
import {knoudsClient, kyClient, type BenchClient} from './clients.ts';
import {fleetCases} from './fleet.ts';
import {runCase, table, type Call, type Case, type Row} from './harness.ts';
import {axiosClient, gotClient, openAiStyleClient, pRetryClient} from './peer-clients.ts';

const calls = 200;
const concurrency = 32;
const perWindow = 20;
const windowMs = 2000;

// Two slots in twenty get the broke key (402 INSUFFICIENT_CREDITS), one the read-only key (403
// CAPABILITY_DENIED), spread evenly through the batch so that they meet every phase of a run.
const keyOf = (id: number): string => {
	switch (id % 20) {
		case 3:
		case 13: {
			return 'sim-broke-key';
		}

		case 7: {
			return 'sim-read-only-key';
		}

		default: {
			return 'sim-pro-key';
		}
	}
};

const batch: readonly Call[] = Array.from({length: calls}, (_, id) => ({id, key: keyOf(id), model: 'text-small'}));

// The read-only key shares the Pro account's limit (every authenticated request counts, a 403 too);
// the broke key has an account and a window of its own, which its 20 calls fit in.
const proAccountRequests = batch.filter(call => call.key !== 'sim-broke-key').length;

// The simulator's own rate-limited scenario (Pro at 20 per 2-second window) under either model: the fleet
// cases moved to other limits for the rate controller, and these tables stay comparable with earlier runs.
const limited = (algorithm: 'fixed-window' | 'token-bucket'): ScenarioInput =>
	({extends: 'rate-limited', rateLimit: {algorithm, windowMs}});

// The fleet's scenarios, reused so that both benchmarks meet the same server.
const fleetScenario = (prefix: string): ScenarioInput => {
	const found = fleetCases.find(({name}) => name.startsWith(prefix));
	if (found === undefined) {
		throw new Error(`No fleet case starts with "${prefix}"`);
	}

	return found.scenario;
};

/** The peer cases, by name. */
export const peerCases: readonly Case[] = [
	{
		name: `Rate limit: fixed window, ${perWindow} per ${windowMs / 1000} s, 15% terminal keys`,
		scenario: limited('fixed-window'),
		runs: 1,
		batch,
		concurrency,
		// A full window's worth at the start of each window, from the one the batch starts in.
		ideal: startedAt => ((Math.floor(startedAt / windowMs) + Math.ceil(proAccountRequests / perWindow) - 1) * windowMs) - startedAt,
	},
	{
		name: `Rate limit: token bucket, ${perWindow} per ${windowMs / 1000} s, 15% terminal keys`,
		scenario: limited('token-bucket'),
		runs: 1,
		batch,
		concurrency,
		// The full bucket at once, then one request per refill.
		ideal: () => Math.max(0, proAccountRequests - perWindow) * windowMs / perWindow,
	},
	{name: '10% transient EXECUTION_FAILED, 15% terminal keys', scenario: {faults: {executionFailed: 0.1}}, runs: 3, batch, concurrency, limitMs: 30_000},
	// One run each: in an outage and in chaos the figures hardly vary, and the slow peers hit the limit.
	{name: 'Total outage (every run EXECUTION_FAILED), 15% terminal keys', scenario: fleetScenario('Total outage'), runs: 1, batch, concurrency, limitMs: 30_000},
	{name: 'Chaos (the simulator\'s `chaos` scenario), 15% terminal keys', scenario: 'chaos', runs: 1, batch, concurrency, limitMs: 30_000},
];

/** Every client the peer cases measure. */
export const peerClients: readonly BenchClient[] = [knoudsClient, kyClient, pRetryClient, gotClient, axiosClient, openAiStyleClient];

/** Runs the peer cases (those whose name contains `only`, if given) and returns their tables. */
export const runPeers = async (only?: string): Promise<{markdown: string; results: Array<{test: Case; rows: Row[]}>}> => {
	const results: Array<{test: Case; rows: Row[]}> = [];
	for (const test of peerCases.filter(({name}) => only === undefined || name.includes(only))) {
		results.push({test, rows: await runCase(test, peerClients)});
	}

	return {markdown: results.map(({test, rows}) => table(test, rows)).join('\n'), results};
};
