import {getEventListeners} from 'node:events';
import ky, {isHTTPError} from 'ky';
import createClient from 'openapi-fetch';
import {describe, expect, it, vi} from 'vitest';
import {createKnoudsFetch, isKnoudsError, toKnoudsError, type FetchLike} from '../src/index.js';
import {api, arrivals, knoudsBody, origin} from './support/http.js';

const noWait = {random: () => 0};

describe('createKnoudsFetch()', () => {
	it('resolves with the final failed response, body unread, so existing error handling works unchanged', async () => {
		api().post('/run').times(4).reply(500, knoudsBody('EXECUTION_FAILED', 'provider down'));
		const response = await createKnoudsFetch(noWait)(`${origin}/run`, {method: 'POST'});
		expect(response.ok).toBe(false);
		expect(response.bodyUsed).toBe(false);
		const body = await response.json() as {code: string};
		expect(body.code).toBe('EXECUTION_FAILED');
	});

	it('gives the typed error of a failed response with toKnoudsError(), and leaves its body readable', async () => {
		api().post('/run').reply(403, knoudsBody('CAPABILITY_DENIED', 'Insufficient capability', {required: 'model:run'}));
		const response = await createKnoudsFetch()(`${origin}/run`, {method: 'POST'});
		const error = await toKnoudsError(response);
		expect(isKnoudsError(error, 'CAPABILITY_DENIED') && error.required).toBe('model:run');
		expect(error).toMatchObject({attempts: 1, stopReason: 'terminal'});
		expect(await response.json()).toMatchObject({code: 'CAPABILITY_DENIED'});
	});

	it('returns undefined from toKnoudsError() for a successful response', async () => {
		expect(await toKnoudsError(Response.json({ok: true}))).toBeUndefined();
	});

	it('builds a KnoudsError from a response that never went through it, naming the request given', async () => {
		const response = Response.json(knoudsBody('WORKFLOW_CAP_REACHED', 'cap'), {status: 403});
		const error = await toKnoudsError(response, new Request(`${origin}/v1/workflows`, {method: 'POST'}));
		expect(error).toMatchObject({code: 'WORKFLOW_CAP_REACHED', status: 403, attempts: 1});
		expect(error?.message).toContain(`POST ${origin}/v1/workflows`);
	});

	it('uses globalThis.fetch at call time when no fetch is given, so test doubles apply', async () => {
		const stub = vi.fn<FetchLike>(async () => Response.json({stubbed: true}));
		vi.stubGlobal('fetch', stub);
		try {
			const response = await createKnoudsFetch()(`${origin}/x`);
			expect(await response.json()).toEqual({stubbed: true});
			expect(stub).toHaveBeenCalledTimes(1);
		} finally {
			vi.unstubAllGlobals();
		}
	});

	it('passes non-standard init fields, such as a dispatcher, to every attempt', async () => {
		const dispatcher = {name: 'custom-agent'};
		const seen: unknown[] = [];
		const underlying: FetchLike = async (_input, init) => {
			seen.push((init as {dispatcher?: unknown} | undefined)?.dispatcher);
			return seen.length === 1 ? Response.json(knoudsBody('EXECUTION_FAILED'), {status: 500}) : Response.json({});
		};

		await createKnoudsFetch({...noWait, fetch: underlying})(`${origin}/x`, {dispatcher} as unknown as RequestInit);
		expect(seen).toEqual([dispatcher, dispatcher]);
	});

	it('resends a Request input with its body intact', async () => {
		const bodies: string[] = [];
		const underlying: FetchLike = async input => {
			bodies.push(await (input as Request).text());
			return bodies.length === 1 ? Response.json(knoudsBody('EXECUTION_FAILED'), {status: 500}) : Response.json({});
		};

		const request = new Request(`${origin}/run`, {method: 'POST', body: JSON.stringify({inputs: {n: 1}})});
		expect((await createKnoudsFetch({...noWait, fetch: underlying})(request)).status).toBe(200);
		expect(bodies).toEqual(['{"inputs":{"n":1}}', '{"inputs":{"n":1}}']);
	});

	it('does not retry an error that is not a transport failure, and rejects with it unchanged', async () => {
		const bug = new RangeError('bug in a custom fetch');
		const underlying = vi.fn<FetchLike>(async () => {
			throw bug;
		});
		await expect(createKnoudsFetch({fetch: underlying})(`${origin}/x`)).rejects.toBe(bug);
		expect(underlying).toHaveBeenCalledTimes(1);
	});

	it('rejects a signal that is not an AbortSignal with a TypeError that names it, and sends nothing', async () => {
		const underlying = vi.fn<FetchLike>(async () => new Response('{}'));
		for (const signal of [{}, {aborted: false}, 'abort']) {
			await expect(createKnoudsFetch({fetch: underlying})(`${origin}/x`, {signal: signal as AbortSignal})).rejects.toThrow(new TypeError(`Expected \`signal\` to be an AbortSignal, got ${typeof signal === 'string' ? `'${signal}'` : 'an object'}.`));
		}

		expect(underlying).not.toHaveBeenCalled();
	});

	it('works as ky\'s fetch option', async () => {
		const seen = arrivals();
		api().get('/x').reply(seen.reply(500, knoudsBody('EXECUTION_FAILED'))).get('/x').reply(seen.reply(200, {viaKy: true}));
		const client = ky.create({baseUrl: `${origin}/`, retry: 0, fetch: createKnoudsFetch(noWait)});
		expect(await client.get('x').json()).toEqual({viaKy: true});
		expect(seen.times).toHaveLength(2);
		api().get('/y').reply(404, knoudsBody('MODEL_NOT_FOUND'));
		expect(isHTTPError(await client.get('y').catch((error: unknown) => error))).toBe(true);
	});

	it('works as openapi-fetch\'s fetch, which passes a single Request', async () => {
		type Paths = {'/v1/models/{internalName}/run': {post: {parameters: {path: {internalName: string}}; requestBody: {content: {'application/json': {inputs: Record<string, unknown>}}}; responses: {200: {content: {'application/json': {output: string}}}}}}};
		const bodies: string[] = [];
		api().post('/v1/models/flux/run').reply(async (request: unknown) => {
			bodies.push(await (request as Request).text());
			return [500, knoudsBody('PROVIDER_RESPONSE_INCOMPLETE')];
		}).post('/v1/models/flux/run').reply(async (request: unknown) => {
			bodies.push(await (request as Request).text());
			return [200, {output: 'image.png'}];
		});
		const client = createClient<Paths>({baseUrl: origin, fetch: createKnoudsFetch(noWait)});
		const {data} = await client.POST('/v1/models/{internalName}/run', {params: {path: {internalName: 'flux'}}, body: {inputs: {prompt: 'x'}}});
		expect(data).toEqual({output: 'image.png'});
		expect(bodies).toEqual(['{"inputs":{"prompt":"x"}}', '{"inputs":{"prompt":"x"}}']);
	});

	it('refuses a fetch given in place of the options, and says to pass it as {fetch}', () => {
		expect(() => createKnoudsFetch(globalThis.fetch as never)).toThrow(new TypeError('Expected `options` to be an object, got a function. To send attempts through your own fetch, pass it as `createKnoudsFetch({fetch})`.'));
	});

	it('rejects invalid options with a TypeError that names them', () => {
		expect(() => createKnoudsFetch({timeout: -1})).toThrow(new TypeError('Expected `timeout` to be a positive number of milliseconds or `false`, got -1.'));
		expect(() => createKnoudsFetch({fetch: 'https://x' as never})).toThrow(new TypeError('Expected `fetch` to be a function with fetch\'s signature, got \'https://x\'.'));
		expect(() => createKnoudsFetch({totalTimeout: 0})).toThrow(new TypeError('Expected `totalTimeout` to be a positive number of milliseconds or `false`, got 0.'));
		expect(() => createKnoudsFetch({retries: 3} as never)).toThrow(/`retries` is not an option of createKnoudsFetch\(\)/);
		expect(() => createKnoudsFetch({policy: {GRANT_EXHAUSTED: false} as never})).toThrow(/did you mean `grant_exhausted`/);
	});

	it('leaves no listener on a signal shared by many calls once they are answered', async () => {
		const controller = new AbortController();
		const knoudsFetch = createKnoudsFetch({fetch: async () => Response.json({ok: true}), timeout: 30_000});
		for (let call = 0; call < 3; call++) {
			expect((await knoudsFetch(`${origin}/x`, {signal: controller.signal})).status).toBe(200);
		}

		expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
	});

	it('gives a response whose body was already read an error with its status alone', async () => {
		const response = Response.json(knoudsBody('MODEL_TIER_REQUIRED'), {status: 403});
		await response.text();
		const error = await toKnoudsError(response);
		expect(error).toMatchObject({status: 403, code: undefined, body: undefined, data: undefined});
	});
});
