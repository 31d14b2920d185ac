import ky1 from 'ky1';
import ky, {HTTPError, TimeoutError, isHTTPError, isTimeoutError, type KyInstance, type Options} from 'ky';
import {describe, expect, it, vi} from 'vitest';
import {isKnoudsError, knoudsRetry} from '../src/index.js';
import {useFakeClock} from './support/clock.js';
import {api, arrivals, knoudsBody, origin, secretKey} from './support/http.js';

const client = (options: Parameters<typeof ky.create>[0] = {}): KyInstance =>
	ky.create({baseUrl: `${origin}/`, headers: {'x-api-key': secretKey}, ...options});
const noWait = {random: () => 0};

describe('knoudsRetry()', () => {
	it('keeps the client\'s base URL and headers, and runs beforeRequest once per call', async () => {
		let beforeRequest = 0;
		const scope = api().matchHeader('x-api-key', secretKey).matchHeader('x-team', 'blue')
			.get('/v1/thing').reply(500, knoudsBody('EXECUTION_FAILED')).get('/v1/thing').reply(200, {ok: true});
		const wrapped = knoudsRetry(client({headers: {'x-api-key': secretKey, 'x-team': 'blue'}, hooks: {beforeRequest: [() => {
			beforeRequest++;
		}]}}), noWait);
		expect(await wrapped.get('v1/thing').json()).toEqual({ok: true});
		expect(scope.isDone()).toBe(true);
		expect(beforeRequest).toBe(1);
	});

	it('shows afterResponse hooks the final response only', async () => {
		const statuses: number[] = [];
		api().get('/x').reply(500, knoudsBody('EXECUTION_FAILED')).get('/x').reply(200, {});
		await knoudsRetry(client({hooks: {afterResponse: [({response}) => {
			statuses.push(response.status);
		}]}}), noWait).get('x');
		expect(statuses).toEqual([200]);
	});

	it('switches ky\'s own retry off, so exactly one retry layer runs', async () => {
		const seen = arrivals();
		api().post('/x').times(20).reply(seen.reply(500, knoudsBody('EXECUTION_FAILED')));
		const wrapped = knoudsRetry(client({retry: {limit: 5, methods: ['post'], statusCodes: [500]}}), noWait);
		await expect(wrapped.post('x')).rejects.toThrow(HTTPError);
		expect(seen.times).toHaveLength(4);
	});

	it('sends one request for a terminal code even when the client asked ky to retry it', async () => {
		const seen = arrivals();
		api().get('/x').times(5).reply(seen.reply(403, knoudsBody('MODEL_TIER_REQUIRED')));
		await expect(knoudsRetry(client({retry: 4}), noWait).get('x')).rejects.toMatchObject({code: 'MODEL_TIER_REQUIRED'});
		expect(seen.times).toHaveLength(1);
	});

	it('throws a KnoudsError that ky and existing catch blocks still treat as an HTTPError', async () => {
		api().get('/x').reply(402, knoudsBody('grant_exhausted', 'Grant exhausted'));
		const error: unknown = await knoudsRetry(client()).get('x').catch((error_: unknown) => error_);
		expect(isHTTPError(error)).toBe(true);
		expect(error).toBeInstanceOf(HTTPError);
		expect(isKnoudsError(error, 'grant_exhausted')).toBe(true);
		expect(error).toMatchObject({response: {status: 402}, data: {code: 'grant_exhausted'}, status: 402});
	});

	it('runs the user\'s beforeError hooks after ours, on the typed error', async () => {
		const seenByHook: unknown[] = [];
		api().get('/x').reply(403, knoudsBody('CAPABILITY_DENIED', 'no', {required: 'model:run'}));
		await knoudsRetry(client({hooks: {beforeError: [({error}) => {
			seenByHook.push(error);
			return error;
		}]}})).get('x').catch(() => undefined);
		expect(seenByHook).toHaveLength(1);
		expect(isKnoudsError(seenByHook[0], 'CAPABILITY_DENIED')).toBe(true);
	});

	it('puts the typed error first for beforeError hooks given per call or through extend(), and when a call clears them', async () => {
		const seenByHook: unknown[] = [];
		const hook = ({error}: {error: Error}): Error => {
			seenByHook.push(error);
			return error;
		};

		api().get('/x').times(3).reply(403, knoudsBody('CAPABILITY_DENIED', 'no', {required: 'model:run'}));
		const wrapped = knoudsRetry(client());
		await wrapped.get('x', {hooks: {beforeError: [hook]}}).catch(() => undefined);
		await wrapped.extend({hooks: {beforeError: [hook]}}).get('x').catch(() => undefined);
		// ky clears a hook list given as undefined; its types allow that only without exactOptionalPropertyTypes.
		const clearing = {beforeError: undefined} as unknown as NonNullable<Options['hooks']>;
		const cleared: unknown = await wrapped.get('x', {hooks: clearing}).catch((error: unknown) => error);
		expect(seenByHook).toHaveLength(2);
		expect(seenByHook.every(error => isKnoudsError(error, 'CAPABILITY_DENIED'))).toBe(true);
		expect(isKnoudsError(cleared, 'CAPABILITY_DENIED')).toBe(true);
	});

	it('counts each call\'s own attempts even when an init hook gives every call one shared context', async () => {
		const shared = {};
		api().get('/retried').reply(500, knoudsBody('EXECUTION_FAILED')).get('/retried').reply(500, knoudsBody('EXECUTION_FAILED'))
			.get('/retried').reply(403, knoudsBody('MODEL_TIER_REQUIRED'));
		api().get('/once').reply(403, knoudsBody('MODEL_TIER_REQUIRED'));
		const wrapped = knoudsRetry(client({hooks: {init: [options => {
			options.context = shared;
		}]}}), noWait);
		const [retried, once] = await Promise.all([wrapped.get('retried').catch((error: unknown) => error), wrapped.get('once').catch((error: unknown) => error)]);
		expect(retried).toMatchObject({code: 'MODEL_TIER_REQUIRED', attempts: 3});
		expect(once).toMatchObject({code: 'MODEL_TIER_REQUIRED', attempts: 1});
	});

	it('resolves with the final failed response when the client sets throwHttpErrors: false', async () => {
		api().get('/x').times(4).reply(500, knoudsBody('EXECUTION_FAILED'));
		const response = await knoudsRetry(client({throwHttpErrors: false}), noWait).get('x');
		expect(response.status).toBe(500);
		expect(await response.json()).toEqual(knoudsBody('EXECUTION_FAILED'));
	});

	it('keeps the behaviour through extend() and create()', async () => {
		const seen = arrivals();
		api().matchHeader('x-extra', '1').get('/a').reply(seen.reply(500, knoudsBody('EXECUTION_FAILED'))).get('/a').reply(seen.reply(200, {}));
		const wrapped = knoudsRetry(client(), noWait);
		await wrapped.extend({headers: {'x-extra': '1'}}).get('a');
		expect(seen.times).toHaveLength(2);
		api().get('/b').reply(500, knoudsBody('EXECUTION_FAILED')).get('/b').reply(200, {created: true});
		expect(await wrapped.create({baseUrl: `${origin}/`}).get('b').json()).toEqual({created: true});
	});

	it.each(['get', 'post', 'put', 'patch', 'delete'] as const)('retries through the %s shortcut', async method => {
		api().intercept('/x', method.toUpperCase()).reply(500, knoudsBody('EXECUTION_FAILED')).intercept('/x', method.toUpperCase()).reply(200, {method});
		expect(await knoudsRetry(client(), noWait)[method]('x').json()).toEqual({method});
	});

	it('still honours ky.retry() forced from the user\'s own afterResponse hook', async () => {
		api().get('/x').reply(200, {stale: true}).get('/x').reply(200, {stale: false});
		const wrapped = knoudsRetry(client({hooks: {afterResponse: [async ({response, retryCount}) => {
			const body = await response.json<{stale: boolean}>();
			return body.stale && retryCount === 0 ? ky.retry() : undefined;
		}]}}));
		expect(await wrapped.get('x').json()).toEqual({stale: false});
	});

	it('keeps ky\'s totalTimeout as the bound on reading the body of a success', async () => {
		const stalled = new ReadableStream<Uint8Array>({
			start(controller) {
				controller.enqueue(new TextEncoder().encode('{"partial":'));
			},
		});
		useFakeClock();
		const wrapped = knoudsRetry(client({totalTimeout: 5000, fetch: async () => new Response(stalled, {headers: {'content-type': 'application/json'}})}));
		const body = wrapped.get('x').json();
		const settled = expect(body).rejects.toMatchObject({name: 'TimeoutError'});
		await vi.advanceTimersByTimeAsync(5000);
		await settled;
	});

	it('rejects a value that is not a ky instance, and invalid options, with a TypeError naming them', () => {
		expect(() => knoudsRetry({} as KyInstance)).toThrow(/`client`/);
		expect(() => knoudsRetry(client(), {policy: {EXECUTION_FAILED: {retries: -1}}})).toThrow(new TypeError('Expected `policy.EXECUTION_FAILED.retries` to be a non-negative integer, got -1.'));
		expect(() => knoudsRetry(client(), {maxRetryAftr: 5} as never)).toThrow(/`maxRetryAftr` is not an option of knoudsRetry\(\)/);
	});

	it.each(['timeout', 'totalTimeout', 'fetch'])('refuses `%s` in its options and says to set it on the ky client', name => {
		expect(() => knoudsRetry(client(), {[name]: 1000})).toThrow(new TypeError(`\`${name}\` is not an option of knoudsRetry(): set it on the ky client, as \`ky.create({${name}})\` or in a call's options, where ky reads it and knouds-retry follows it.`));
	});

	it('refuses a ky 1 client when it is wrapped, since ky 1 runs no init hooks and its calls would go unretried', () => {
		expect(() => knoudsRetry(ky1.create({}) as unknown as KyInstance)).toThrow(new TypeError('Expected `client` to be a ky 2 instance: this one does not run `init` hooks (ky 1 or older), so knouds-retry could not retry its calls. Install ky 2.1 or later (`npm install ky@^2.1.0`), or use `createKnoudsFetch()`.'));
	});

	it('checks for ky 2 without sending anything or running the client\'s request hooks', async () => {
		const fetch = vi.fn(async () => new Response('{}'));
		const beforeRequest = vi.fn();
		knoudsRetry(client({fetch, hooks: {beforeRequest: [beforeRequest]}}));
		await new Promise(resolve => setImmediate(resolve));
		expect(fetch).not.toHaveBeenCalled();
		expect(beforeRequest).not.toHaveBeenCalled();
	});
});

describe('knoudsRetry() and the hooks ky runs around a response', () => {
	it('classifies a failure an afterResponse hook put in place of the response, counting the attempts ky.retry() forced', async () => {
		let sent = 0;
		const fetch = async (): Promise<Response> => {
			sent++;
			return Response.json({stale: true});
		};

		const wrapped = knoudsRetry(client({fetch, hooks: {afterResponse: [({retryCount}) => retryCount === 0
			? ky.retry({delay: 0})
			: Response.json(knoudsBody('MODEL_TIER_REQUIRED', 'Upgrade to run this model'), {status: 403})]}}), noWait);
		const error: unknown = await wrapped.get('x').catch((error_: unknown) => error_);
		expect(sent).toBe(2);
		expect(isKnoudsError(error, 'MODEL_TIER_REQUIRED')).toBe(true);
		expect(error).toMatchObject({attempts: 2, apiMessage: 'Upgrade to run this model'});
	});

	it('never reports fewer than one attempt for an error that carries a response, even one a beforeRequest hook answered from a cache', async () => {
		const fetch = vi.fn(async () => Response.json({}));
		const cached = Response.json(knoudsBody('MODEL_TIER_REQUIRED'), {status: 403});
		const error: unknown = await knoudsRetry(client({fetch, hooks: {beforeRequest: [() => cached]}})).get('x').catch((error_: unknown) => error_);
		expect(fetch).not.toHaveBeenCalled();
		expect(isKnoudsError(error, 'MODEL_TIER_REQUIRED')).toBe(true);
		expect(error).toMatchObject({attempts: 1});
	});

	it('keeps ky\'s own retry off when the client has afterResponse hooks, so exactly one retry layer runs', async () => {
		const seen = arrivals();
		api().get('/x').times(20).reply(seen.reply(500, knoudsBody('EXECUTION_FAILED')));
		const wrapped = knoudsRetry(client({hooks: {afterResponse: [() => undefined]}}), noWait);
		await expect(wrapped.get('x')).rejects.toMatchObject({code: 'EXECUTION_FAILED', stopReason: 'retries-exhausted'});
		expect(seen.times).toHaveLength(4);
	});
});

describe('knoudsRetry() and ky\'s timeouts', () => {
	// A fetch whose response never comes, until the request's signal gives up on it.
	const neverAnswers = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => new Promise((_resolve, reject) => {
		const signal = init?.signal ?? (input as Request).signal;
		signal.addEventListener('abort', () => {
			reject(signal.reason as Error);
		});
	});

	it.each([
		['an attempt that ran out of `timeout`', {timeout: 300}],
		['a call that ran out of `totalTimeout`', {timeout: false, totalTimeout: 300}],
	] as const)('rejects with ky\'s own TimeoutError, naming the request, for %s', async (_name, timeouts) => {
		useFakeClock();
		for (const wrapped of [ky.create({retry: 0, fetch: neverAnswers, ...timeouts}), knoudsRetry(ky.create({fetch: neverAnswers, ...timeouts}), noWait)]) {
			const error = wrapped.post(`${origin}/v1/models/flux/run`, {json: {inputs: {}}}).catch((error_: unknown) => error_);
			await vi.advanceTimersByTimeAsync(300);
			const timedOut = await error;
			expect(isTimeoutError(timedOut)).toBe(true);
			expect(timedOut).toBeInstanceOf(TimeoutError);
			expect((timedOut as TimeoutError).request).toMatchObject({method: 'POST', url: `${origin}/v1/models/flux/run`});
		}
	});

	it.each(['timeout', 'totalTimeout'])('still retries by its policy when %s is exactly a timer\'s limit', async name => {
		const seen = arrivals();
		api().post('/x').reply(seen.reply(500, knoudsBody('EXECUTION_FAILED'))).post('/x').reply(seen.reply(200, {ok: true}));
		const wrapped = knoudsRetry(client({[name]: 2_147_483_647}), noWait);
		expect(await wrapped.post('x').json()).toEqual({ok: true});
		expect(seen.times).toHaveLength(2);
	});

	it('lifts the client\'s totalTimeout for a call that sets totalTimeout: false', async () => {
		useFakeClock();
		let sent = 0;
		const fetch = async (): Promise<Response> => ++sent < 2 ? Response.json(knoudsBody('EXECUTION_FAILED'), {status: 500}) : Response.json({ok: true});
		const wrapped = knoudsRetry(client({fetch, totalTimeout: 1000}), {random: () => 1});
		const body = wrapped.get('x', {totalTimeout: false}).json();
		await vi.advanceTimersByTimeAsync(5000);
		expect(await body).toEqual({ok: true});
		expect(sent).toBe(2);
	});
});

describe('knoudsRetry() and what it is given', () => {
	it.each([
		['fetch itself', globalThis.fetch, 'a function'],
		['an object with an extend method', {extend: () => ({})}, 'an object'],
	])('refuses %s in place of a ky instance with a TypeError naming `client`', (_name, value, got) => {
		expect(() => knoudsRetry(value as unknown as KyInstance)).toThrow(new TypeError(`Expected \`client\` to be a ky instance (from ky.create() or ky.extend()), got ${got}.`));
	});

	it('refuses a ky look-alike that answers instead of running init hooks, leaving no rejection unhandled', async () => {
		const unhandled: unknown[] = [];
		const onUnhandled = (reason: unknown): void => {
			unhandled.push(reason);
		};

		process.on('unhandledRejection', onUnhandled);
		try {
			const lookAlike: unknown = Object.assign(async () => {
				throw new Error('not a ky instance');
			}, {extend: () => lookAlike});
			expect(() => knoudsRetry(lookAlike as KyInstance)).toThrow(/Expected `client` to be a ky 2 instance/);
			await new Promise(resolve => {
				setImmediate(resolve);
			});
			expect(unhandled).toEqual([]);
		} finally {
			process.off('unhandledRejection', onUnhandled);
		}
	});
});
