import ky from 'ky';
import {describe, expect, it} from 'vitest';
import {createKnoudsFetch, knoudsRetry, type KnoudsError} from '../../../src/index.js';
import {api, arrivals, knoudsBody} from '../../support/http.js';
import {knoudsErrorOf, type Outcome} from '../../support/surfaces.js';
import {clientSurfaces, type Client} from './clients.js';

const failed = knoudsBody('EXECUTION_FAILED', 'Execution failed');
// Backoff without jitter draws 0 ms, so that no test waits.
const instant = {random: () => 0} as const;

const outage = (times: number) => {
	const seen = arrivals();
	api().get('/run').times(times).reply(seen.reply(500, failed));
	return seen;
};

const errorsOf = (outcomes: readonly Outcome[]): KnoudsError[] => outcomes.map(outcome => knoudsErrorOf(outcome));

const sequentially = async (client: Client, count: number): Promise<Outcome[]> => {
	const outcomes: Outcome[] = [];
	for (let index = 0; index < count; index++) {
		outcomes.push(await client({path: '/run'}));
	}

	return outcomes;
};

describe.each(clientSurfaces)('$name', surface => {
	it('sends at most one request per call plus the burst in a total outage, calls one after another', async () => {
		const seen = outage(100);
		const errors = errorsOf(await sequentially(surface.create(instant), 40));
		expect(seen.times).toHaveLength(50);
		// Three calls spend 3 tokens each, the fourth the last one; every later call stops after its first request.
		expect(errors.slice(0, 3).map(error => [error.stopReason, error.attempts])).toEqual(Array.from({length: 3}, () => ['retries-exhausted', 4]));
		expect([errors[3]!.stopReason, errors[3]!.attempts]).toEqual(['retry-budget', 2]);
		expect(errors.slice(4).every(error => error.stopReason === 'retry-budget' && error.attempts === 1)).toBe(true);
	});

	it('sends at most one request per call plus the burst in a total outage, calls at once', async () => {
		const seen = outage(100);
		const client = surface.create(instant);
		const errors = errorsOf(await Promise.all(Array.from({length: 40}, async () => client({path: '/run'}))));
		expect(seen.times.length).toBeLessThanOrEqual(50);
		expect(errors.every(error => error.stopReason === 'retry-budget' || error.stopReason === 'retries-exhausted')).toBe(true);
		const refusedAtOnce = errors.filter(error => error.stopReason === 'retry-budget' && error.attempts === 1);
		expect(refusedAtOnce.length).toBeGreaterThanOrEqual(30);
	});

	it('earns the budget back with successes: with earn 0.5 and burst 1, two successes buy one retry', async () => {
		const seen = arrivals();
		api().get('/run').times(3).reply(seen.reply(500, failed)) // Spends the burst, then is refused.
			.get('/run').reply(seen.reply(200, {})) // Earns half a token.
			.get('/run').reply(seen.reply(500, failed)) // Half a token is not a retry.
			.get('/run').reply(seen.reply(200, {})) // Earns the other half.
			.get('/run').reply(seen.reply(500, failed)).get('/run').reply(seen.reply(200, {})) // Retried.
			.get('/run').reply(seen.reply(500, failed)); // Spent again.
		const client = surface.create({...instant, retryBudget: {burst: 1, earn: 0.5}, policy: {EXECUTION_FAILED: 1}});
		const outcomes = await sequentially(client, 7);
		expect(outcomes.map(outcome => outcome.kind === 'error' ? outcome.error.stopReason : outcome.kind))
			.toEqual(['retries-exhausted', 'retry-budget', 'ok', 'retry-budget', 'ok', 'ok', 'retry-budget']);
		expect(seen.times).toHaveLength(9);
	});

	it('does not spend the budget on a retry that waits out a Retry-After, while a backoff retry is refused', async () => {
		const seen = arrivals();
		api().get('/run').reply(seen.reply(429, knoudsBody('RATE_LIMIT_EXCEEDED'), {'retry-after': '0'})).get('/run').reply(seen.reply(200, {}))
			.get('/run').reply(seen.reply(500, failed));
		const client = surface.create({...instant, retryBudget: {burst: 0}});
		expect(await client({path: '/run'})).toEqual({kind: 'ok', status: 200, body: {}});
		expect(knoudsErrorOf(await client({path: '/run'}))).toMatchObject({code: 'EXECUTION_FAILED', stopReason: 'retry-budget', attempts: 1});
		expect(seen.times).toHaveLength(3);
	});

	it('does not refuse a retry that shouldRetry forces, however empty the budget', async () => {
		const seen = arrivals();
		api().get('/run').reply(seen.reply(500, failed)).get('/run').reply(seen.reply(200, {done: true}));
		const client = surface.create({...instant, retryBudget: {burst: 0}, shouldRetry: ({attempt}) => attempt === 1 ? true : undefined});
		expect(await client({path: '/run'})).toEqual({kind: 'ok', status: 200, body: {done: true}});
		expect(seen.times).toHaveLength(2);
	});

	it('retries as the policy says with retryBudget: false', async () => {
		const seen = outage(20);
		const errors = errorsOf(await sequentially(surface.create({...instant, retryBudget: false}), 5));
		expect(seen.times).toHaveLength(20);
		expect(errors.every(error => error.stopReason === 'retries-exhausted' && error.attempts === 4)).toBe(true);
	});

	it('says in the error message that the retry budget stopped the call, even one whose policy asked for more retries, and how to retry more', async () => {
		outage(1);
		const error = knoudsErrorOf(await surface.create({...instant, retryBudget: {burst: 0}, policy: {EXECUTION_FAILED: 10}})({path: '/run'}));
		expect(error.stopReason).toBe('retry-budget');
		expect(error.message).toMatch(/^Request failed with status code 500\b.*: GET \S+ — Knouds EXECUTION_FAILED: .*retry budget is spent .* whatever the policy allows; the API may be down\. Raise `retryBudget`, or set it to `false`, to retry more\.$/);
	});
});

describe('retryBudget validation', () => {
	it.each([
		[{burst: -1}, 'retryBudget.burst'],
		[{earn: Number.NaN}, 'retryBudget.earn'],
		[true, 'retryBudget'],
	])('refuses %j at creation with a TypeError naming %s', (retryBudget, name) => {
		const options = {retryBudget} as unknown as Parameters<typeof createKnoudsFetch>[0];
		expect(() => createKnoudsFetch(options)).toThrow(new RegExp(`\`${name.replace('.', '\\.')}\``));
		expect(() => createKnoudsFetch(options)).toThrow(TypeError);
		expect(() => knoudsRetry(ky.create(), options)).toThrow(TypeError);
	});
});
