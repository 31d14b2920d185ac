import {getEventListeners} from 'node:events';
import {describe, expect, it, vi} from 'vitest';
import {admitted} from '../src/admission.js';
import {AttemptFailure} from '../src/attempt.js';
import type {Admission, Coordinator} from '../src/coordination/coordinator.js';
import {createKnoudsFetch} from '../src/index.js';
import {resolveOptions, type ResolvedOptions} from '../src/options.js';
import {prepareRequest} from '../src/replay.js';
import {useFakeClock} from './support/clock.js';
import {api, origin, secretKey} from './support/http.js';
import {callSettings} from './support/settings.js';

describe('a call a latch refuses, after an answer with an empty body', () => {
	it('hands back an empty body stream, as the server\'s own answer had, so code that streams the body does not meet null', async () => {
		api().get('/v1/models').reply(401, '');
		const knoudsFetch = createKnoudsFetch();
		const headers = {'x-api-key': secretKey};
		const answered = await knoudsFetch(`${origin}/v1/models`, {headers});
		const latched = await knoudsFetch(`${origin}/v1/models`, {headers});
		expect([answered.status, latched.status]).toEqual([401, 401]);
		expect(answered.body).not.toBeNull();
		expect(latched.body).not.toBeNull();
		const read = await latched.body!.getReader().read();
		expect(read.done).toBe(true);
	});
});

// A store that answers late (or fails) while the call waits on it: whatever ends the wait must take down
// what the wait set up, since a caller's signal often outlives the call (one per page, per job, per process).
describe('a call that stops waiting on its store', () => {
	const guardedOptions = (admit: () => Promise<Admission>): ResolvedOptions => {
		const coordinator: Coordinator = {
			guarded: true,
			admit,
			async observe() {
				return undefined;
			},
			async spend() {
				return true;
			},
		};
		return {...resolveOptions({}, {}, 'test'), coordinator};
	};

	const run = async (): Promise<Response> => new Response('{}');
	const url = 'https://api.knouds.test/v1/models/flux/run';

	it('leaves no listener on the caller\'s signal when the total timeout runs out first, so a long-lived signal does not gather one per call', async () => {
		useFakeClock();
		const controller = new AbortController();
		const options = guardedOptions(async () => new Promise(() => undefined));
		for (let call = 0; call < 3; call++) {
			const outcome = admitted(options, prepareRequest(url, {signal: controller.signal}), callSettings(run, {deadline: Date.now() + 500}), run).catch((error: unknown) => error);
			await vi.advanceTimersByTimeAsync(500);
			expect((await outcome as AttemptFailure).timeout).toBe('total');
		}

		expect(getEventListeners(controller.signal, 'abort')).toEqual([]);
	});

	it('leaves no timer and no listener once the store fails, so the process is not held open until the total timeout', async () => {
		useFakeClock();
		const controller = new AbortController();
		const broken = new Error('store down');
		const options = guardedOptions(async () => Promise.reject(broken));
		const outcome = admitted(options, prepareRequest(url, {signal: controller.signal}), callSettings(run, {deadline: Date.now() + 60_000}), run);
		await expect(outcome).rejects.toBe(broken);
		expect(vi.getTimerCount()).toBe(0);
		expect(getEventListeners(controller.signal, 'abort')).toEqual([]);
	});
});
