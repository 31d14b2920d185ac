import {describe, expect, it, vi} from 'vitest';
import {admitted} from '../src/admission.js';
import {AttemptFailure, timeoutFailure, type CallSettings} from '../src/attempt.js';
import {parseErrorBody} from '../src/error-body.js';
import type {Admission, Answer, Coordinator} from '../src/coordination/coordinator.js';
import type {Sent} from '../src/coordination/window.js';
import {resolveOptions, type ResolvedOptions} from '../src/options.js';
import {prepareRequest} from '../src/replay.js';
import {useFakeClock} from './support/clock.js';
import {callSettings as settingsFor} from './support/settings.js';

// One attempt through the client's shared state, with a coordinator that records what it is told:
// what a refused call says, and that every admitted attempt's outcome is reported once, whatever it was.

const slot: Sent = {kind: 'send', sentAt: 0, cycle: 0, windowMs: 1000, paced: true};

type Recorder = {
	readonly coordinator: Coordinator;
	readonly observed: Answer[];
	// Every call the coordinator got, by name: an attempt must tell it nothing beyond these.
	readonly calls: string[];
};

const recorder = (admit: () => Promise<Admission>, {guarded = false, failReports = false} = {}): Recorder => {
	const observed: Answer[] = [];
	const calls: string[] = [];
	const coordinator: Coordinator = {
		guarded,
		async admit() {
			calls.push('admit');
			return admit();
		},
		async observe(_scope, _admission, answer) {
			calls.push('observe');
			observed.push(answer);
			if (failReports) {
				throw new Error('store down');
			}
		},
		async spend() {
			calls.push('spend');
			return true;
		},
	};
	return {coordinator, observed, calls};
};

const optionsWith = (coordinator: Coordinator): ResolvedOptions => ({...resolveOptions({}, {}, 'test'), coordinator});

const callSettings = (overrides: Partial<CallSettings> = {}): CallSettings => settingsFor(async () => new Response('{}'), overrides);

const request = (signal?: AbortSignal) => prepareRequest('https://api.knouds.test/v1/models/flux/run', signal === undefined ? undefined : {signal});

const refusalOf = async (admission: Admission): Promise<AttemptFailure> => {
	const {coordinator} = recorder(async () => admission);
	let sent = false;
	const error: unknown = await admitted(optionsWith(coordinator), request(), callSettings(), async () => {
		sent = true;
		return new Response('{}');
	}).catch((error_: unknown) => error_);
	expect(sent).toBe(false);
	expect(error).toBeInstanceOf(AttemptFailure);
	return error as AttemptFailure;
};

describe('a call the shared state refuses', () => {
	it('meets a latched error again exactly as the API answered it: status, code, body, and why nothing was sent', async () => {
		const body = {error: 'Grant exhausted', code: 'grant_exhausted'};
		const failure = await refusalOf({kind: 'latched', failure: {status: 402, body}});
		expect(failure.failure).toEqual({kind: 'http', status: 402, code: 'grant_exhausted', retryAfterMs: undefined, providerStatus: undefined});
		expect(failure.stopReason).toBe('latched');
		expect(failure.response?.status).toBe(402);
		expect(failure.response?.headers.get('content-type')).toBe('application/json');
		expect(failure.response?.headers.has('retry-after')).toBe(false);
		expect(await failure.response?.json()).toEqual(body);
		expect(failure.parsed?.body).toEqual(body);
	});

	it('meets a latched error whose body was text, or was not kept, with that text or an empty body', async () => {
		const text = await refusalOf({kind: 'latched', failure: {status: 401, body: 'Unauthorized'}});
		expect(await text.response?.text()).toBe('Unauthorized');
		const empty = await refusalOf({kind: 'latched', failure: {status: 401, body: undefined}});
		expect(await empty.response?.text()).toBe('');
		expect(empty.failure).toMatchObject({status: 401, code: undefined});
	});

	it('keeps the provider\'s status of a latched PROVIDER_SUBMIT_FAILED', async () => {
		const failure = await refusalOf({kind: 'latched', failure: {status: 500, body: {error: 'x', code: 'PROVIDER_SUBMIT_FAILED', providerStatus: 400}}});
		expect(failure.failure).toMatchObject({code: 'PROVIDER_SUBMIT_FAILED', providerStatus: 400});
	});

	it.each([
		['retry-after-too-long', 2001, '3'],
		['total-timeout', 1000, '1'],
	] as const)('meets a closed gate as the 429 it stands for, with stopReason %s and the wait as its Retry-After, in whole seconds rounded up', async (reason, wait, header) => {
		const failure = await refusalOf({kind: 'gated', retryAfterMs: wait, reason});
		expect(failure.failure).toEqual({kind: 'http', status: 429, code: 'RATE_LIMIT_EXCEEDED', retryAfterMs: wait, providerStatus: undefined});
		expect(failure.stopReason).toBe(reason);
		expect(failure.response?.headers.get('retry-after')).toBe(header);
		expect(await failure.response?.json()).toEqual({error: 'Rate limited: the client holds its requests while an earlier response\'s Retry-After runs', code: 'RATE_LIMIT_EXCEEDED'});
	});

	it('meets a total timeout that ran out while it was held as a timeout of the whole call', async () => {
		const failure = await refusalOf({kind: 'deadline'});
		expect(failure.failure).toEqual({kind: 'timeout'});
		expect(failure.timeout).toBe('total');
		expect(failure.stopReason).toBe('total-timeout');
		expect(failure.cause).toMatchObject({name: 'TimeoutError', message: 'The call\'s total timeout ran out.'});
	});
});

describe('an admitted attempt\'s outcome, told to the shared state once', () => {
	it('reports a success by its status, once', async () => {
		const {coordinator, observed, calls} = recorder(async () => slot);
		const response = await admitted(optionsWith(coordinator), request(), callSettings(), async () => new Response('{}', {status: 201}));
		expect(response.status).toBe(201);
		expect(observed).toEqual([{status: 201, code: undefined, retryAfterMs: undefined, body: undefined}]);
		expect(calls).toEqual(['admit', 'observe']);
	});

	it('reports an HTTP failure with its code, Retry-After and body, once, so that latches and the gate learn from it', async () => {
		const {coordinator, observed, calls} = recorder(async () => slot);
		const body = {error: 'slow down', code: 'RATE_LIMIT_EXCEEDED'};
		const failure = new AttemptFailure({kind: 'http', status: 429, code: 'RATE_LIMIT_EXCEEDED', retryAfterMs: 3000, providerStatus: undefined}, new Response('', {status: 429}), parseErrorBody(JSON.stringify(body)), undefined);
		await expect(admitted(optionsWith(coordinator), request(), callSettings(), async () => {
			throw failure;
		})).rejects.toBe(failure);
		expect(observed).toEqual([{status: 429, code: 'RATE_LIMIT_EXCEEDED', retryAfterMs: 3000, body}]);
		expect(calls).toEqual(['admit', 'observe']);
	});

	it.each([
		['a network error', new AttemptFailure({kind: 'network', beforeSend: false}, undefined, undefined, new TypeError('fetch failed'))],
		['a timeout', timeoutFailure('attempt')],
		['an abort', new DOMException('aborted', 'AbortError')],
	])('tells the shared state nothing after %s, which taught nothing: the turn it took is spent', async (_name, thrown) => {
		const {coordinator, calls} = recorder(async () => slot);
		await expect(admitted(optionsWith(coordinator), request(), callSettings(), async () => {
			throw thrown;
		})).rejects.toBe(thrown);
		expect(calls).toEqual(['admit']);
	});

	it('delivers the response, and the failure, even when the store fails to take the report in', async () => {
		const {coordinator} = recorder(async () => slot, {failReports: true});
		const options = optionsWith(coordinator);
		expect((await admitted(options, request(), callSettings(), async () => new Response('ok'))).status).toBe(200);
		const lost = new TypeError('fetch failed');
		await expect(admitted(options, request(), callSettings(), async () => {
			throw lost;
		})).rejects.toBe(lost);
	});

	it('tells the shared state whether this is the call\'s first attempt, and its deadline and maxRetryAfter', async () => {
		const scopes: unknown[] = [];
		const {coordinator} = recorder(async () => slot);
		const spying: Coordinator = {...coordinator, async admit(scope) {
			scopes.push({first: scope.first, deadline: scope.deadline, maxRetryAfter: scope.maxRetryAfter});
			return slot;
		}};
		const options = {...resolveOptions({maxRetryAfter: 7000}, {}, 'test'), coordinator: spying};
		await admitted(options, request(), callSettings({deadline: 12_345}), async () => new Response('{}'));
		await admitted(options, request(), callSettings({sent: {count: 1}}), async () => new Response('{}'));
		expect(scopes).toEqual([{first: true, deadline: 12_345, maxRetryAfter: 7000}, {first: false, deadline: undefined, maxRetryAfter: 7000}]);
	});
});

describe('waiting on a store that may not answer', () => {
	const never = async (): Promise<Admission> => new Promise(() => undefined);

	it('gives up at the call\'s deadline, to the millisecond, as a total timeout', async () => {
		useFakeClock();
		const {coordinator} = recorder(never, {guarded: true});
		const outcome: {error?: unknown} = {};
		admitted(optionsWith(coordinator), request(), callSettings({deadline: Date.now() + 500}), async () => new Response('{}')).catch((error: unknown) => {
			outcome.error = error;
		});
		await vi.advanceTimersByTimeAsync(499);
		expect(outcome.error).toBeUndefined();
		await vi.advanceTimersByTimeAsync(1);
		expect(outcome.error).toBeInstanceOf(AttemptFailure);
		expect((outcome.error as AttemptFailure).timeout).toBe('total');
	});

	it('gives up at once on a deadline already past', async () => {
		useFakeClock();
		const {coordinator} = recorder(never, {guarded: true});
		const pending = admitted(optionsWith(coordinator), request(), callSettings({deadline: Date.now() - 100}), async () => new Response('{}'));
		const [error] = await Promise.all([pending.catch((error_: unknown) => error_), vi.advanceTimersByTimeAsync(0)]);
		expect((error as AttemptFailure).timeout).toBe('total');
	});

	it('sets no timer for a call without a total timeout', async () => {
		useFakeClock();
		const {coordinator} = recorder(never, {guarded: true});
		void admitted(optionsWith(coordinator), request(), callSettings(), async () => new Response('{}'));
		await vi.advanceTimersByTimeAsync(0);
		expect(vi.getTimerCount()).toBe(0);
	});

	it('leaves unused an admission that comes after the call gave up, sending nothing, and uses one that came in time', async () => {
		useFakeClock();
		let answer: (admission: Admission) => void = () => undefined;
		const {coordinator, calls} = recorder(async () => new Promise(resolve => {
			answer = resolve;
		}), {guarded: true});
		let sent = 0;
		const run = async (): Promise<Response> => {
			sent++;
			return new Response('{}');
		};

		const late = admitted(optionsWith(coordinator), request(), callSettings({deadline: Date.now() + 100}), run).catch((error: unknown) => error);
		await vi.advanceTimersByTimeAsync(100);
		expect((await late as AttemptFailure).timeout).toBe('total');
		answer(slot);
		await vi.advanceTimersByTimeAsync(0);
		expect(sent).toBe(0);
		expect(calls).toEqual(['admit']);

		const inTime = admitted(optionsWith(coordinator), request(), callSettings({deadline: Date.now() + 100}), run);
		answer(slot);
		expect((await inTime).status).toBe(200);
		await vi.advanceTimersByTimeAsync(100);
		expect(sent).toBe(1);
		expect(calls).toEqual(['admit', 'admit', 'observe']);
		expect(vi.getTimerCount()).toBe(0);
	});

	it('leaves no unhandled rejection when the store fails after the call gave up', async () => {
		useFakeClock();
		let fail: (error: Error) => void = () => undefined;
		const {coordinator} = recorder(async () => new Promise((_resolve, reject) => {
			fail = reject;
		}), {guarded: true});
		const unhandled: unknown[] = [];
		const onUnhandled = (reason: unknown): void => {
			unhandled.push(reason);
		};

		process.on('unhandledRejection', onUnhandled);
		try {
			const late = admitted(optionsWith(coordinator), request(), callSettings({deadline: Date.now() + 100}), async () => new Response('{}')).catch((error: unknown) => error);
			await vi.advanceTimersByTimeAsync(100);
			expect((await late as AttemptFailure).timeout).toBe('total');
			fail(new Error('store down'));
			// Unhandled rejections are reported after the microtask queue drains: let a few turns of the loop go by.
			for (let turn = 0; turn < 5; turn++) {
				await new Promise(resolve => {
					setImmediate(resolve);
				});
			}

			expect(unhandled).toEqual([]);
		} finally {
			process.off('unhandledRejection', onUnhandled);
		}
	});

	it('ends at the caller\'s abort with its reason, leaves no listener, and sends nothing with what the store grants afterwards', async () => {
		useFakeClock();
		let answer: (admission: Admission) => void = () => undefined;
		const {coordinator, calls} = recorder(async () => new Promise(resolve => {
			answer = resolve;
		}), {guarded: true});
		const controller = new AbortController();
		const removed = vi.spyOn(controller.signal, 'removeEventListener');
		let sent = false;
		const pending = admitted(optionsWith(coordinator), request(controller.signal), callSettings({deadline: Date.now() + 60_000}), async () => {
			sent = true;
			return new Response('{}');
		});
		const reason = new Error('cancelled');
		controller.abort(reason);
		await expect(pending).rejects.toBe(reason);
		expect(removed).toHaveBeenCalledWith('abort', expect.any(Function));
		expect(vi.getTimerCount()).toBe(0);
		answer(slot);
		await vi.advanceTimersByTimeAsync(0);
		expect(sent).toBe(false);
		expect(calls).toEqual(['admit']);
	});

	it('fails with the store\'s error, made an Error if it was not one', async () => {
		const broken = new Error('store down');
		const rejecting = recorder(async () => Promise.reject(broken), {guarded: true});
		await expect(admitted(optionsWith(rejecting.coordinator), request(), callSettings(), async () => new Response('{}'))).rejects.toBe(broken);
		const odd = recorder(async () => {
			// A store written in JavaScript may reject with anything.
			// eslint-disable-next-line @typescript-eslint/only-throw-error
			throw 'down';
		}, {guarded: true});
		await expect(admitted(optionsWith(odd.coordinator), request(), callSettings(), async () => new Response('{}'))).rejects.toThrow(new Error('down'));
	});

	it('takes its listener off the signal once admitted', async () => {
		const {coordinator} = recorder(async () => slot, {guarded: true});
		const controller = new AbortController();
		const removed = vi.spyOn(controller.signal, 'removeEventListener');
		await admitted(optionsWith(coordinator), request(controller.signal), callSettings(), async () => new Response('{}'));
		expect(removed).toHaveBeenCalledWith('abort', expect.any(Function));
	});
});
