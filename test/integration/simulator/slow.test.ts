import {TimeoutError as KyTimeoutError} from 'ky';
import {afterEach, describe, expect, it, vi} from 'vitest';
import type {ScenarioInput} from '../../../src/testing/index.js';
import {requestsDuring, simulators, surfaces, thrownOf, type SimCall} from './surfaces.js';

// Every answer held back after the API acted: what aborts and timeouts do to a call, and to the ledger.

const sims = simulators();
afterEach(sims.closeAll);

const slowMs = 2000;
const slow = (ms: number): ScenarioInput => ({extends: 'default', faults: {slow: 1, slowMs: ms}});
const modelRun: SimCall = {key: 'sim-pro-key', method: 'POST', path: 'v1/models/text-small/run', json: {inputs: {prompt: 'a lighthouse'}}};
const executionRead: SimCall = {key: 'sim-pro-key', method: 'GET', path: 'v1/executions/00000000-0000-4000-8000-000000000000'};

/** Whether an error is the documented timeout error of the surface: ky's TimeoutError, or fetch's DOMException. */
const isTimeoutError = (surfaceName: string, error: unknown): boolean =>
	surfaceName.includes('ky') ? error instanceof KyTimeoutError : error instanceof DOMException && error.name === 'TimeoutError';

describe.each(surfaces)('through $name', surface => {
	it('rejects with the abort reason well before the slow answer arrives when the caller aborts', async () => {
		const sim = await sims.start({scenario: slow(slowMs)});
		const controller = new AbortController();
		const reason = new Error('caller gave up');
		// Aborted once the simulator holds the request, however long a loaded machine took to send it.
		const before = sim.stats().requests;
		const poll = setInterval(() => {
			if (sim.stats().requests > before) {
				clearInterval(poll);
				controller.abort(reason);
			}
		}, 5);
		const started = Date.now();
		const {result, requests} = await requestsDuring(sim, async () => surface.run(sim.url, {...modelRun, signal: controller.signal}));
		expect(Date.now() - started).toBeLessThan(slowMs / 2);
		expect(thrownOf(result)).toBe(reason);
		expect(requests).toBe(1);
		// The API acted before it held the answer back: the run stands, billed, though nobody will read it.
		expect(sim.stats().successfulRuns).toBe(1);
	});

	it('ends a POST that outlives the attempt timeout with the timeout error, without resending it', async () => {
		const sim = await sims.start({scenario: slow(slowMs)});
		const started = Date.now();
		const {result, requests} = await requestsDuring(sim, async () => surface.run(sim.url, modelRun, {timeout: 200, random: () => 0}));
		expect(Date.now() - started).toBeLessThan(slowMs / 2);
		expect(isTimeoutError(surface.name, thrownOf(result))).toBe(true);
		expect(requests).toBe(1);
		expect(sim.stats().successfulRuns).toBe(1);
	});

	it('resends a GET that outlives the attempt timeout as the TIMEOUT policy allows, then ends with the timeout error', async () => {
		const sim = await sims.start({scenario: slow(slowMs)});
		const retries = 1;
		const {result, requests} = await requestsDuring(sim, async () => surface.run(sim.url, executionRead, {timeout: 200, random: () => 0, policy: {TIMEOUT: retries}}));
		expect(isTimeoutError(surface.name, thrownOf(result))).toBe(true);
		expect(requests).toBe(retries + 1);
	});

	it('resends a timed-out POST only when POST is declared idempotent, and then the API bills every attempt', async () => {
		const sim = await sims.start({scenario: slow(slowMs)});
		const retries = 1;
		const {result, requests} = await requestsDuring(sim, async () => surface.run(sim.url, modelRun, {
			timeout: 200,
			random: () => 0,
			policy: {TIMEOUT: retries},
			idempotentMethods: ['GET', 'POST'],
		}));
		expect(isTimeoutError(surface.name, thrownOf(result))).toBe(true);
		expect(requests).toBe(retries + 1);
		// The simulated model run is not idempotent: this is why POST is not resent by default.
		expect(sim.stats().successfulRuns).toBe(retries + 1);
	});

	it('counts the answer held back past a timed-out POST as undelivered once it fires', async () => {
		const heldMs = 300;
		const sim = await sims.start({scenario: slow(heldMs)});
		const started = Date.now();
		const {result, requests} = await requestsDuring(sim, async () => surface.run(sim.url, modelRun, {timeout: 100, random: () => 0}));
		expect(isTimeoutError(surface.name, thrownOf(result))).toBe(true);
		expect(requests).toBe(1);
		expect(Date.now() - started).toBeLessThan(heldMs);
		expect(sim.stats().undelivered).toBe(0);
		await vi.waitFor(() => {
			expect(sim.stats().undelivered).toBe(1);
		}, {timeout: heldMs * 5, interval: 20});
		// The one charge is the answer the caller never got: successes seen (0) = successful runs - undelivered.
		expect(sim.stats()).toMatchObject({successfulRuns: 1, undelivered: 1});
	});
});
