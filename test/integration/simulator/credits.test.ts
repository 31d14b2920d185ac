import {isKyError} from 'ky';
import {afterEach, describe, expect, it} from 'vitest';
import type {RetryEvent} from '../../../src/index.js';
import {field, simulators, surfaces, type Outcome} from './surfaces.js';

// Many concurrent model runs against the 'chaos' scenario: provider failures, proxy pages, connection
// resets, slow answers and a token-bucket rate limit all at once. Whatever happens to a call, the
// ledger must agree with what the caller saw: one charge per success, none charged twice.

const sims = simulators();
afterEach(sims.closeAll);

const calls = 150;
const concurrency = 16;
const model = 'text-small';
// Generous bounds: they only keep a broken call from hanging the test, and each one ends the call with an error.
const perCallBoundMs = 15_000;

/** Runs `task(0)` … `task(count - 1)` with at most `limit` in flight; results are kept by index. */
const pool = async <T>(count: number, limit: number, task: (n: number) => Promise<T>): Promise<Array<T | undefined>> => {
	const results = Array.from<T | undefined>({length: count});
	let next = 0;
	const worker = async (): Promise<void> => {
		while (next < count) {
			const n = next++;
			results[n] = await task(n);
		}
	};

	await Promise.all(Array.from({length: limit}, worker));
	return results;
};

const isTransportError = (error: unknown): boolean =>
	isKyError(error) // Ky's NetworkError or TimeoutError.
	|| error instanceof TypeError // Fetch's network failure.
	|| (error instanceof DOMException && error.name === 'TimeoutError');

describe.each(surfaces)('through $name', surface => {
	it(`settles ${calls} concurrent chaotic model runs with exactly one charge per delivered success`, async () => {
		const sim = await sims.start({scenario: 'chaos'});
		const price = sim.scenario.models.find(candidate => candidate.internalName === model)!.price;
		const events: RetryEvent[] = [];
		const outcomes = await pool(calls, concurrency, async (n): Promise<Outcome> => surface.run(sim.url, {
			key: 'sim-pro-key',
			method: 'POST',
			path: `v1/models/${model}/run`,
			json: {inputs: {call: n}},
			signal: AbortSignal.timeout(perCallBoundMs + 1000),
		}, {
			random: () => 0,
			policy: {RATE_LIMIT_EXCEEDED: 20},
			timeout: perCallBoundMs,
			totalTimeout: perCallBoundMs,
			onRetry(event) {
				events.push(event);
			},
		}));
		const stats = sim.stats();

		// Every call ended, in exactly one of the outcomes a caller can meet.
		expect(outcomes.filter(outcome => outcome !== undefined)).toHaveLength(calls);
		const successes = new Map<string, number>();
		for (const [n, settled] of outcomes.entries()) {
			const outcome = settled!;
			switch (outcome.kind) {
				case 'ok': {
					const {body} = outcome;
					// The answer belongs to this call and to no other.
					expect(field(body, 'output', 'echo')).toEqual({call: n});
					const executionId = field(body, 'executionId');
					expect(typeof executionId).toBe('string');
					expect(successes.has(executionId as string)).toBe(false);
					successes.set(executionId as string, n);
					break;
				}

				case 'error': {
					const {error} = outcome;
					expect(['terminal', 'retries-exhausted', 'not-idempotent', 'retry-budget'], error.message).toContain(error.stopReason);
					expect(error.attempts).toBeGreaterThanOrEqual(1);
					break;
				}

				case 'thrown': {
					const {error} = outcome;
					expect(isTransportError(error), String(error)).toBe(true);
					break;
				}
			}
		}

		// No execution was charged twice, and every success the caller saw was charged once.
		const charged = stats.charges.map(charge => charge.executionId);
		expect(new Set(charged).size).toBe(charged.length);
		for (const executionId of successes.keys()) {
			expect(charged).toContain(executionId);
		}

		// A charge the caller never saw is exactly one whose answer could not be delivered.
		const unseen = charged.filter(executionId => !successes.has(executionId));
		expect(unseen).toHaveLength(stats.undelivered);
		expect(stats.creditsCharged).toBe(stats.successfulRuns * price);

		// Each request after a call's first followed a retry decision: nothing was resent behind the policy's back.
		expect(stats.requests).toBe(calls + events.length);
		expect(successes.size).toBeGreaterThan(0);
	}, 40_000);
});
