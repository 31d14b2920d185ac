import {getEventListeners} from 'node:events';
import {isTimeoutError} from 'ky';
import {describe, expect, it, vi} from 'vitest';
import {createKnoudsFetch, type FetchLike} from '../../src/index.js';
import {api, arrivals, knoudsBody, origin} from '../support/http.js';
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

/** A fetch that ignores its signal and never answers. */
const deafFetch = (calls: number[]): FetchLike => async () => {
	calls.push(Date.now());
	return new Promise(() => undefined);
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
		let waiting = false;
		void surface.run({path: '/run'}, {timeout: 1000, onRetry: () => (waiting = true)}).then(result => (outcome = result));
		// The wait's timer is scheduled right after onRetry; other timers (the error-body read) may come first.
		await until(() => waiting);
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
		let waiting = false;
		void surface.run({path: '/run', signal: controller.signal}, {onRetry: () => (waiting = true)}).then(result => (outcome = result));
		await until(() => waiting);
		await vi.advanceTimersByTimeAsync(1000);
		const reason = new Error('user cancelled');
		controller.abort(reason);
		await until(() => outcome !== undefined);
		expect(outcome).toEqual({kind: 'thrown', error: reason});
		expect(seen.times).toHaveLength(1);
		expect(vi.getTimerCount()).toBe(0);
	});

	it('says why a POST that timed out was not resent, and what to do', async () => {
		useFakeClock();
		const calls: number[] = [];
		const done = surface.run({path: '/run', method: 'POST', json: {inputs: {}}}, {fetch: hangingFetch(1, calls), timeout: 1000});
		await until(() => calls.length === 1);
		await vi.advanceTimersByTimeAsync(1000);
		const outcome = await done;
		expect(calls).toHaveLength(1);
		expect(outcome.kind === 'thrown' && isTimeout(outcome.error)).toBe(true);
		expect(outcome.kind === 'thrown' && (outcome.error as Error).message).toMatch(/ Not resent: the POST may have reached the server and run, and POST is not in `idempotentMethods`\./);
	});

	it('times an attempt out even through a fetch that ignores its signal', async () => {
		useFakeClock();
		const calls: number[] = [];
		const done = surface.run({path: '/run'}, {fetch: deafFetch(calls), timeout: 1000, random: () => 0, policy: {TIMEOUT: 1}});
		await until(() => calls.length === 1);
		await vi.advanceTimersByTimeAsync(1000);
		await until(() => calls.length === 2);
		await vi.advanceTimersByTimeAsync(1000);
		const outcome = await done;
		expect(outcome.kind === 'thrown' && isTimeout(outcome.error)).toBe(true);
		expect(vi.getTimerCount()).toBe(0);
	});

	it.each([['with no timeout', false], ['with a timeout', 60_000]] as const)('ends a call at the caller\'s abort while a fetch that ignores its signal is pending, %s', async (_name, timeout) => {
		const calls: number[] = [];
		const controller = new AbortController();
		const done = surface.run({path: '/run', signal: controller.signal}, {fetch: deafFetch(calls), timeout});
		await until(() => calls.length === 1);
		const reason = new Error('caller gave up');
		controller.abort(reason);
		const outcome = await done;
		expect(outcome.kind).toBe('thrown');
		expect(outcome.kind === 'thrown' && outcome.error).toBe(reason);
		expect(calls).toHaveLength(1);
		expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
	});

	it('re-checks the deadline after a slow shouldRetry and sends nothing past it', async () => {
		useFakeClock();
		const seen = arrivals();
		api().get('/run').times(3).reply(seen.reply(500, knoudsBody('EXECUTION_FAILED')));
		let outcome: Outcome | undefined;
		let asked = false;
		const slowUndecided = async (): Promise<undefined> => new Promise(resolve => {
			asked = true;
			setTimeout(() => {
				resolve(undefined);
			}, 800);
		});
		void surface.run({path: '/run'}, {totalTimeout: 1000, policy: {EXECUTION_FAILED: {minDelay: 700, maxDelay: 700, jitter: 'none'}}, shouldRetry: slowUndecided}).then(result => (outcome = result));
		await until(() => asked);
		await vi.advanceTimersByTimeAsync(800);
		await until(() => outcome !== undefined);
		expect(knoudsErrorOf(outcome!).stopReason).toBe('total-timeout');
		expect(seen.times).toHaveLength(1);
	});

	it('rejects with a clear error, without retrying, when a custom fetch resolves with something that is not a Response', async () => {
		const calls: number[] = [];
		const broken = (async () => {
			calls.push(Date.now());
			return undefined;
		}) as unknown as FetchLike;
		const outcome = await surface.run({path: '/run'}, {fetch: broken});
		expect(calls).toHaveLength(1);
		expect(outcome.kind === 'thrown' && String(outcome.error)).toMatch(/Expected `fetch` to resolve with a Response, got undefined/);
	});

	it('sends nothing when the signal is already aborted', async () => {
		const seen = arrivals();
		api().get('/run').optionally().reply(seen.reply(200, {}));
		const outcome = await surface.run({path: '/run', signal: AbortSignal.abort(new Error('too late'))});
		expect(outcome.kind).toBe('thrown');
		expect(seen.times).toHaveLength(0);
	});
});

describe('createKnoudsFetch()', () => {
	it('leaves no listener on the caller\'s signal after attempts time out through a fetch that never answers', async () => {
		useFakeClock();
		const calls: number[] = [];
		const controller = new AbortController();
		const knoudsFetch = createKnoudsFetch({fetch: deafFetch(calls), timeout: 1000, random: () => 0, policy: {TIMEOUT: 1}});
		const done = knoudsFetch(`${origin}/run`, {signal: controller.signal}).catch((error: unknown) => error);
		await until(() => calls.length === 1);
		await vi.advanceTimersByTimeAsync(1000);
		await until(() => calls.length === 2);
		await vi.advanceTimersByTimeAsync(1000);
		expect(isTimeout(await done)).toBe(true);
		expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
	});
});
