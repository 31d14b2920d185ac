import {isTimeoutError} from 'ky';
import {describe, expect, it, vi} from 'vitest';
import type {FetchLike} from '../../src/index.js';
import {api, arrivals, knoudsBody} from '../support/http.js';
import {until, useFakeClock} from '../support/clock.js';
import {knoudsErrorOf, surfaces, type Outcome} from '../support/surfaces.js';

/** A fetch whose first `hangs` calls never answer until their signal aborts; later calls answer 200. */
const hangingFetch = (hangs: number, calls: number[]): FetchLike => async (input, init) => {
	calls.push(Date.now());
	if (calls.length > hangs) {
		return Response.json({ok: true});
	}

	const signal = init?.signal ?? (input instanceof Request ? input.signal : undefined);
	return new Promise((_resolve, reject) => {
		signal?.addEventListener('abort', () => {
			reject(signal.reason as Error);
		});
	});
};

const isTimeout = (error: unknown): boolean => isTimeoutError(error) || (error instanceof DOMException && error.name === 'TimeoutError');

describe.each(surfaces)('$name', surface => {
	it('bounds each attempt with `timeout` and retries a GET that timed out', async () => {
		useFakeClock();
		const calls: number[] = [];
		const done = surface.run({path: '/run'}, {fetch: hangingFetch(1, calls), timeout: 1000, random: () => 0});
		await until(() => calls.length === 1);
		await vi.advanceTimersByTimeAsync(1000);
		expect(await done).toEqual({kind: 'ok', status: 200, body: {ok: true}});
		expect(calls).toHaveLength(2);
		expect(vi.getTimerCount()).toBe(0);
	});

	it('does not resend a POST whose attempt timed out, and rejects with a timeout error', async () => {
		useFakeClock();
		const calls: number[] = [];
		const done = surface.run({path: '/run', method: 'POST', json: {inputs: {}}}, {fetch: hangingFetch(5, calls), timeout: 1000});
		await until(() => calls.length === 1);
		await vi.advanceTimersByTimeAsync(1000);
		const outcome = await done;
		expect(calls).toHaveLength(1);
		expect(outcome.kind === 'thrown' && isTimeout(outcome.error)).toBe(true);
	});

	it('does not count the wait between attempts against `timeout`', async () => {
		useFakeClock();
		const seen = arrivals();
		api().get('/run').reply(seen.reply(429, knoudsBody('RATE_LIMIT_EXCEEDED'), {'retry-after': '3'})).get('/run').reply(seen.reply(200, {}));
		let outcome: Outcome | undefined;
		void surface.run({path: '/run'}, {timeout: 1000}).then(result => (outcome = result));
		await until(() => seen.times.length === 1 && vi.getTimerCount() > 0);
		await vi.advanceTimersByTimeAsync(3000);
		await until(() => outcome !== undefined);
		expect(outcome?.kind).toBe('ok');
	});

	it('fails at once, without sleeping, when the next wait would cross `totalTimeout`', async () => {
		useFakeClock();
		const seen = arrivals();
		api().get('/run').times(2).reply(seen.reply(429, knoudsBody('RATE_LIMIT_EXCEEDED'), {'retry-after': '10'}));
		const error = knoudsErrorOf(await surface.run({path: '/run'}, {totalTimeout: 5000}));
		expect(seen.times).toHaveLength(1);
		expect(error).toMatchObject({code: 'RATE_LIMIT_EXCEEDED', stopReason: 'total-timeout', retryAfterMs: 10_000});
		expect(Date.now() - seen.times[0]!).toBe(0);
	});

	it('ends an attempt that would run past `totalTimeout` with a timeout error', async () => {
		useFakeClock();
		const calls: number[] = [];
		const done = surface.run({path: '/run'}, {fetch: hangingFetch(5, calls), timeout: 10_000, totalTimeout: 2000});
		await until(() => calls.length === 1);
		await vi.advanceTimersByTimeAsync(2000);
		const outcome = await done;
		expect(calls).toHaveLength(1);
		expect(outcome.kind === 'thrown' && isTimeout(outcome.error)).toBe(true);
		expect(vi.getTimerCount()).toBe(0);
	});

	it('rejects with the abort reason the moment the signal aborts a wait, and sends nothing more', async () => {
		useFakeClock();
		const seen = arrivals();
		api().get('/run').times(2).reply(seen.reply(429, knoudsBody('RATE_LIMIT_EXCEEDED'), {'retry-after': '30'}));
		const controller = new AbortController();
		let outcome: Outcome | undefined;
		void surface.run({path: '/run', signal: controller.signal}).then(result => (outcome = result));
		await until(() => seen.times.length === 1 && vi.getTimerCount() > 0);
		await vi.advanceTimersByTimeAsync(1000);
		const reason = new Error('user cancelled');
		controller.abort(reason);
		await until(() => outcome !== undefined);
		expect(outcome).toEqual({kind: 'thrown', error: reason});
		expect(seen.times).toHaveLength(1);
		expect(vi.getTimerCount()).toBe(0);
	});

	it('sends nothing when the signal is already aborted', async () => {
		const seen = arrivals();
		api().get('/run').optionally().reply(seen.reply(200, {}));
		const outcome = await surface.run({path: '/run', signal: AbortSignal.abort(new Error('too late'))});
		expect(outcome.kind).toBe('thrown');
		expect(seen.times).toHaveLength(0);
	});
});
