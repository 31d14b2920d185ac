import {describe, expect, it, vi} from 'vitest';
import {createKnoudsFetch, type FetchLike} from '../../src/index.js';
import {origin} from '../support/http.js';
import {until, useFakeClock} from '../support/clock.js';

/** A fetch that never answers until its signal aborts. */
const hanging = (calls: number[]): FetchLike => async (input, init) => {
	calls.push(Date.now());
	const signal = init?.signal ?? (input instanceof Request ? input.signal : undefined);
	return new Promise((_resolve, reject) => {
		signal?.addEventListener('abort', () => {
			reject(signal.reason as Error);
		});
	});
};

// Only a request that may have run and was not sent again says so: a GET is resent after a timeout,
// and a message telling the caller to check whether it took effect would send them looking for nothing.
describe('createKnoudsFetch, a GET whose attempts timed out', () => {
	it.each([
		['its retries ran out', {TIMEOUT: 1}, 2],
		['its policy makes a timeout terminal', {TIMEOUT: false}, 1],
	] as const)('says nothing of not being resent when %s', async (_name, policy, attempts) => {
		useFakeClock();
		const calls: number[] = [];
		const knoudsFetch = createKnoudsFetch({fetch: hanging(calls), timeout: 1000, random: () => 0, policy});
		const outcome = knoudsFetch(`${origin}/run`).then(() => undefined, (error: unknown) => error as Error);
		for (let attempt = 1; attempt <= attempts; attempt++) {
			await until(() => calls.length === attempt);
			await vi.advanceTimersByTimeAsync(1000);
		}

		const error = await outcome;
		expect(error).toMatchObject({name: 'TimeoutError'});
		expect(error?.message).not.toContain('Not resent');
		expect(calls).toHaveLength(attempts);
	});

	it('says nothing of not being resent when the total timeout ran out', async () => {
		useFakeClock();
		const calls: number[] = [];
		const knoudsFetch = createKnoudsFetch({fetch: hanging(calls), timeout: 10_000, totalTimeout: 2000});
		const outcome = knoudsFetch(`${origin}/run`).then(() => undefined, (error: unknown) => error as Error);
		await until(() => calls.length === 1);
		await vi.advanceTimersByTimeAsync(2000);
		const error = await outcome;
		expect(error).toMatchObject({name: 'TimeoutError'});
		expect(error?.message).not.toContain('Not resent');
	});
});
