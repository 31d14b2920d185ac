import {afterEach, describe, expect, it} from 'vitest';
import {isKnoudsError, type KnoudsCode, type RetryEvent} from '../../../src/index.js';
import {scenarios, type ScenarioInput, type SimulatorFaults} from '../../../src/testing/index.js';
import {field, knoudsErrorOf, okBodyOf, requestsDuring, setUp, simulators, surfaces, type SimCall} from './surfaces.js';

// The retryable half of the contract: 5xx codes retried until the policy gives up, and the 429 with its Retry-After.

const sims = simulators();
afterEach(sims.closeAll);

const pro = 'sim-pro-key';
const run = (query = '', inputs: unknown = {prompt: 'a lighthouse'}): SimCall =>
	({key: pro, method: 'POST', path: `v1/models/text-small/run${query}`, json: {inputs}});
const quickly = (retries: number) => ({retries, minDelay: 1, maxDelay: 1});

type RetryableCase = {
	readonly name: string;
	readonly code: KnoudsCode;
	readonly faults: Partial<SimulatorFaults>;
	readonly query: string;
	readonly retries: number;
	readonly providerStatus?: number;
};

const cases: readonly RetryableCase[] = [
	{name: 'a sync run whose provider call always fails ends with EXECUTION_FAILED', code: 'EXECUTION_FAILED', faults: {executionFailed: 1}, query: '', retries: 1},
	{name: 'an async run whose provider call always fails ends with EXECUTION_FAILED', code: 'EXECUTION_FAILED', faults: {executionFailed: 1}, query: '?async=true', retries: 2},
	{name: 'a sync run whose provider output is always incomplete ends with PROVIDER_RESPONSE_INCOMPLETE', code: 'PROVIDER_RESPONSE_INCOMPLETE', faults: {providerIncomplete: 1}, query: '', retries: 1},
	{
		name: 'an async submit the provider always answers with 503 ends with PROVIDER_SUBMIT_FAILED',
		code: 'PROVIDER_SUBMIT_FAILED', faults: {providerSubmitFailed: 1, providerStatuses: [503]}, query: '?async=true', retries: 2, providerStatus: 503,
	},
	{
		name: 'an async submit the provider always rate-limits with 429 ends with PROVIDER_SUBMIT_FAILED',
		code: 'PROVIDER_SUBMIT_FAILED', faults: {providerSubmitFailed: 1, providerStatuses: [429]}, query: '?async=true', retries: 1, providerStatus: 429,
	},
];

// One request per token-bucket window of 900 ms: a second request at once is told `Retry-After: 1`, and is admitted after it.
const rateLimited: ScenarioInput = {
	extends: 'default',
	rateLimit: {algorithm: 'token-bucket', windowMs: 900},
	tiers: {...scenarios.default.tiers, pro: {...scenarios.default.tiers['pro']!, requestsPerWindow: 1}},
};

describe.each(surfaces)('through $name', surface => {
	it.each(cases)('$name once its retries are exhausted, after retries + 1 requests', async ({code, faults, query, retries, providerStatus}) => {
		const sim = await sims.start({scenario: {extends: 'default', faults}});
		const events: RetryEvent[] = [];
		const {result, requests} = await requestsDuring(sim, async () => surface.run(sim.url, run(query), {
			random: () => 0,
			policy: {[code]: quickly(retries)},
			onRetry(event) {
				events.push(event);
			},
		}));
		const error = knoudsErrorOf(result);
		expect(requests).toBe(retries + 1);
		expect(sim.stats().byOutcome[code]).toBe(retries + 1);
		expect(events.map(event => event.code)).toEqual(Array.from({length: retries}, () => code));
		expect(error).toMatchObject({status: 500, code, retryable: true, attempts: retries + 1, stopReason: 'retries-exhausted', providerStatus});
		expect(isKnoudsError(error, code)).toBe(true);
		expect(error.providerBody).toEqual(field(error.body, 'providerBody'));
		expect(error.message).toContain(`Gave up after ${retries + 1} attempts`);
		// None of the failed runs was billed.
		expect(sim.stats().charges).toEqual([]);
	});

	it('retries EXECUTION_FAILED through an outage and charges the one run that succeeds', async () => {
		const sim = await sims.start({scenario: {extends: 'default', faults: {outage: {startMs: 0, durationMs: 400, respond: 'execution-failed'}}}});
		const outcome = await surface.run(sim.url, run('', {call: 1}), {random: () => 0.5, policy: {EXECUTION_FAILED: {retries: 30, minDelay: 50, maxDelay: 50, jitter: 'none'}}});
		const body = okBodyOf(outcome);
		const stats = sim.stats();
		expect(field(body, 'output', 'echo')).toEqual({call: 1});
		expect(stats.byOutcome['EXECUTION_FAILED']).toBeGreaterThan(0);
		expect(stats.requests).toBe((stats.byOutcome['EXECUTION_FAILED'] ?? 0) + 1);
		expect(stats.charges.map(charge => charge.executionId)).toEqual([field(body, 'executionId')]);
	});

	it.each([
		{name: '`maxRetryAfter: 0`', options: {maxRetryAfter: 0}, stopReason: 'retry-after-too-long'},
		{name: 'a policy of `RATE_LIMIT_EXCEEDED: false`', options: {policy: {RATE_LIMIT_EXCEEDED: false}}, stopReason: 'terminal'},
	] as const)('fails a 429 at once with its Retry-After under $name', async ({options, stopReason}) => {
		const sim = await sims.start({scenario: rateLimited});
		await setUp(sim, run());
		const {result, requests} = await requestsDuring(sim, async () => surface.run(sim.url, run(), options));
		const error = knoudsErrorOf(result);
		expect(requests).toBe(1);
		expect(sim.stats().rateLimited).toBe(1);
		expect(error).toMatchObject({status: 429, code: 'RATE_LIMIT_EXCEEDED', retryable: true, attempts: 1, retryAfterMs: 1000, stopReason});
		expect(isKnoudsError(error, 'RATE_LIMIT_EXCEEDED')).toBe(true);
	});

	it('waits out the real one-second Retry-After of a 429, then succeeds', async () => {
		const sim = await sims.start({scenario: rateLimited});
		await setUp(sim, run());
		const events: RetryEvent[] = [];
		const started = Date.now();
		const {result, requests} = await requestsDuring(sim, async () => surface.run(sim.url, run('', {call: 2}), {
			random: () => 0,
			onRetry(event) {
				events.push(event);
			},
		}));
		const body = okBodyOf(result);
		expect(Date.now() - started).toBeGreaterThanOrEqual(1000 - 5);
		expect(requests).toBe(2);
		expect(events).toMatchObject([{attempt: 1, delay: 1000, source: 'retry-after', code: 'RATE_LIMIT_EXCEEDED', status: 429, method: 'POST'}]);
		expect(isKnoudsError(events[0]!.error, 'RATE_LIMIT_EXCEEDED')).toBe(true);
		expect(field(body, 'output', 'echo')).toEqual({call: 2});
		expect(sim.stats()).toMatchObject({rateLimited: 1, successfulRuns: 2});
	});
});
