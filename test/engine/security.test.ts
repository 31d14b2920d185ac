import {inspect} from 'node:util';
import fc from 'fast-check';
import ky from 'ky';
import nock from 'nock';
import {describe, expect, it, vi} from 'vitest';
import {until, useFakeClock} from '../support/clock.js';
import {api, knoudsBody, origin, secretKey} from '../support/http.js';
import {knoudsErrorOf, surfaces, type Outcome, type Surface} from '../support/surfaces.js';
import {createKnoudsFetch, isKnoudsError, knoudsRetry, toKnoudsError, type FetchLike, type KnoudsError, type RetryEvent, type ShouldRetryContext} from '../../src/index.js';

const socketError = (code: string): Error => Object.assign(new Error(`socket failure ${code}`), {code});

/** Every way an error or event gets written down. */
const renderings = (value: unknown): string[] => {
	// JSON.stringify gives undefined for some values, whatever its declared type says.
	const json = JSON.stringify(value) as string | undefined;
	const renders = [inspect(value, {depth: 8}), inspect(value, {depth: 8, showHidden: true}), json ?? '', String(value)];
	if (value instanceof Error) {
		renders.push(value.stack ?? '', value.message);
	}

	return renders;
};

/** A call's outcome, and every onRetry event and shouldRetry context it gave, in order. */
const callbacksOf = async (surface: Surface, path: string): Promise<{outcome: Outcome; seen: Array<RetryEvent | ShouldRetryContext>}> => {
	const seen: Array<RetryEvent | ShouldRetryContext> = [];
	const outcome = await surface.run({path}, {
		random: () => 0,
		onRetry(event) {
			seen.push(event);
		},
		shouldRetry(context) {
			seen.push(context);
			return undefined;
		},
	});
	return {outcome, seen};
};

describe.each(surfaces)('$name', surface => {
	it('keeps the API key out of the KnoudsError however it is rendered', async () => {
		api().post('/run').reply(403, knoudsBody('CAPABILITY_DENIED', 'Insufficient capability', {required: 'model:run'}));
		const outcome = await surface.run({path: '/run', method: 'POST', json: {inputs: {}}});
		expect(outcome.kind).toBe('error');
		const {error} = outcome as {error: Error & {request: Request; options: {headers: Headers}}};
		for (const rendering of renderings(error)) {
			expect(rendering).not.toContain(secretKey);
		}

		// Code that reaches for the request still finds it, with the key redacted.
		expect(error.request.headers.get('x-api-key')).toBe('[REDACTED]');
		expect(error.options.headers.get('x-api-key')).toBe('[REDACTED]');
	});

	it('keeps the API key out of every onRetry event and shouldRetry context', async () => {
		api().get('/run').reply(500, knoudsBody('EXECUTION_FAILED')).get('/run').replyWithError(socketError('ECONNRESET')).get('/run').reply(200, {});
		const {outcome, seen} = await callbacksOf(surface, '/run');
		expect(outcome.kind).toBe('ok');
		expect(seen).toHaveLength(4);
		for (const rendering of seen.flatMap(item => renderings(item))) {
			expect(rendering).not.toContain(secretKey);
		}
	});

	it('keeps the API key out of the error a call rejects with after network failures', async () => {
		api().get('/run').times(4).replyWithError(socketError('ECONNRESET'));
		const outcome = await surface.run({path: '/run'}, {random: () => 0});
		expect(outcome.kind).toBe('thrown');
		for (const rendering of renderings((outcome as {error: unknown}).error)) {
			expect(rendering).not.toContain(secretKey);
		}
	});
});

/** A key given in the query string, as some clients do. */
const querySecret = 'kq_live_QUERY-fedcba9876543210';

// Credential parameters as users write them; each must read `[REDACTED]` wherever the URL shows up.
const secretParameters = ['api_key', 'key', 'apikey', 'api-key', 'x-api-key', 'apiKey', 'token', 'access_token', 'Auth', 'password', 'client_secret', 'X-Amz-Signature', 'sig'];

/** Every way the parts of an error that may hold a URL get written down. */
const everything = (error: Error & {request?: Request; options?: unknown; response?: Response}): string[] => [
	...renderings(error),
	error.request?.url ?? '',
	...renderings(error.options),
	error.response?.url ?? '',
];

const expectNowhere = (secret: string, texts: readonly string[]): void => {
	for (const text of texts) {
		expect(text).not.toContain(secret);
	}
};

describe.each(surfaces)('$name with credentials outside the x-api-key header', surface => {
	it.each(secretParameters)('keeps a key in the %s query parameter out of the KnoudsError, and keeps the rest of the URL', async name => {
		api().post('/run').query(true).reply(403, knoudsBody('CAPABILITY_DENIED', 'Insufficient capability', {required: 'model:run'}));
		const error = knoudsErrorOf(await surface.run({path: `/run?model=flux&${name}=${querySecret}&page=2`, method: 'POST', json: {inputs: {}}}));
		expectNowhere(querySecret, everything(error));
		expect(error.request.url).toBe(`${origin}/run?model=flux&${name}=[REDACTED]&page=2`);
		expect(error.message).toContain(`: POST ${origin}/run?model=flux&${name}=[REDACTED]&page=2 — Knouds CAPABILITY_DENIED: `);
	});

	it('keeps a query key out of every onRetry event and shouldRetry context', async () => {
		api().get('/run').query(true).reply(500, knoudsBody('EXECUTION_FAILED')).get('/run').query(true).replyWithError(socketError('ECONNRESET')).get('/run').query(true).reply(200, {});
		const {outcome, seen} = await callbacksOf(surface, `/run?access_token=${querySecret}`);
		expect(outcome.kind).toBe('ok');
		expect(seen).toHaveLength(4);
		expect(seen.map(item => item.url)).toEqual(Array.from({length: 4}, () => `${origin}/run?access_token=[REDACTED]`));
		expectNowhere(querySecret, seen.flatMap(item => [...renderings(item), ...everything(item.error)]));
	});

	it.each([
		['x-api-key', {key: `${secretKey}\nsecond-line`}],
		['x-api-key', {key: `${secretKey}\r\n\r\n`.repeat(2)}],
		['authorization', {headers: {authorization: `Bearer ${secretKey}\nsecond-line`}}],
		['proxy-authorization', {headers: {'proxy-authorization': `Basic ${secretKey}\u0000`.repeat(2)}}],
		['cookie', {headers: {cookie: `session=${secretKey}\nsecond=line`}}],
	] as const)('refuses a %s header with a stray newline with a TypeError that does not quote it', async (_name, call) => {
		const seen: RetryEvent[] = [];
		const outcome = await surface.run({path: '/run', ...call}, {onRetry: event => seen.push(event)});
		expect(outcome.kind).toBe('thrown');
		const {error} = outcome as {error: Error};
		expect(error).toBeInstanceOf(TypeError);
		expectNowhere(secretKey, renderings(error));
		expect(error.message).toMatch(/^Headers\.append: "\[REDACTED\]" is an invalid header value\. \(Redacted: a header value of this request holds a line break or another character no header can carry; check the API key for a stray newline\.\)$/);
		expect(error.stack).toContain(error.message);
		expect(seen).toEqual([]);
	});

	it('refuses a stray newline in the key of a call whose URL also holds a query key, quoting neither', async () => {
		const outcome = await surface.run({path: `/run?api_key=${querySecret}`, key: `${secretKey}\nx`});
		expect((outcome as {error: Error}).error).toBeInstanceOf(TypeError);
		expectNowhere(secretKey, renderings((outcome as {error: Error}).error));
		expectNowhere(querySecret, renderings((outcome as {error: Error}).error));
	});

	it('keeps any secret out of the errors and events of a call, for random keys in the query and in the header', async () => {
		const secret = fc.stringMatching(/^[A-Za-z\d_-]{12,40}$/);
		await fc.assert(fc.asyncProperty(secret, secret, fc.constantFrom(...secretParameters), fc.boolean(), async (inQuery, inHeader, name, newline) => {
			nock.cleanAll();
			api().get('/run').query(true).reply(500, knoudsBody('EXECUTION_FAILED')).get('/run').query(true).reply(403, knoudsBody('CAPABILITY_DENIED', 'denied', {required: 'model:run'}));
			const seen: Array<RetryEvent | ShouldRetryContext> = [];
			const outcome = await surface.run({path: `/run?${name}=${inQuery}`, key: newline ? `${inHeader}\n${inHeader}` : inHeader}, {
				random: () => 0,
				onRetry: event => seen.push(event),
				shouldRetry: context => void seen.push(context),
			});
			const error = (outcome as {error?: Error}).error;
			expect(error).toBeDefined();
			const texts = [...everything(error!), ...seen.flatMap(item => [...renderings(item), ...everything(item.error)])];
			expectNowhere(inQuery, texts);
			expectNowhere(inHeader, texts);
		}), {numRuns: 30});
	});
});

describe('knoudsRetry(ky) with credentials outside the x-api-key header', () => {
	const [viaKy] = surfaces as [Surface, Surface];

	it('keeps a query key out of the NetworkError a call rejects with after network failures, whose message quotes the URL', async () => {
		api().get('/run').query(true).times(4).replyWithError(socketError('ECONNRESET'));
		const outcome = await viaKy.run({path: `/run?token=${querySecret}`}, {random: () => 0});
		expect(outcome.kind).toBe('thrown');
		expectNowhere(querySecret, everything((outcome as {error: Error}).error));
	});

	it('keeps a query key out of the TimeoutError of a call that ran out of time, whose message quotes the URL', async () => {
		useFakeClock();
		let calls = 0;
		// Never answers: the attempt ends when its timeout aborts it.
		const silent: FetchLike = async (input, init) => new Promise((_resolve, reject) => {
			calls++;
			const signal = init?.signal ?? (input instanceof Request ? input.signal : undefined);
			signal?.addEventListener('abort', () => {
				reject(signal.reason as Error);
			});
		});
		const done = viaKy.run({path: `/run?key=${querySecret}`}, {fetch: silent, timeout: 1000, policy: {TIMEOUT: false}});
		await until(() => calls === 1);
		await vi.advanceTimersByTimeAsync(1000);
		const outcome = await done;
		expect(outcome.kind).toBe('thrown');
		expect((outcome as {error: Error}).error.name).toBe('TimeoutError');
		expectNowhere(querySecret, everything((outcome as {error: Error}).error));
	});

	it('keeps a key given in searchParams out of the KnoudsError', async () => {
		api().get('/run').query(true).reply(403, knoudsBody('CAPABILITY_DENIED', 'denied', {required: 'model:run'}));
		const client = knoudsRetry(ky.create({baseUrl: `${origin}/`, headers: {'x-api-key': secretKey}}));
		const error: unknown = await client.get('run', {searchParams: {api_key: querySecret, model: 'flux'}}).catch((error_: unknown) => error_);
		expect(isKnoudsError(error)).toBe(true);
		expect((error as KnoudsError).request.url).toBe(`${origin}/run?api_key=[REDACTED]&model=flux`);
		expectNowhere(querySecret, everything(error as KnoudsError));
	});

	it('keeps a key in a baseUrl query out of the options the KnoudsError keeps', async () => {
		api().get('/v1/run').query(true).reply(403, knoudsBody('CAPABILITY_DENIED', 'denied', {required: 'model:run'}));
		const client = knoudsRetry(ky.create({baseUrl: `${origin}/v1/?key=${querySecret}`}));
		const error: unknown = await client.get('run').catch((error_: unknown) => error_);
		expect((error as KnoudsError).options.baseUrl).toBe(`${origin}/v1/?key=[REDACTED]`);
		expectNowhere(querySecret, everything(error as KnoudsError));
	});

	it.each([
		['ky.create()', () => knoudsRetry(ky.create({baseUrl: `${origin}/`, headers: {'x-api-key': `${secretKey}\nx`}}))],
		['extend()', () => knoudsRetry(ky.create({baseUrl: `${origin}/`})).extend({headers: {'x-api-key': `${secretKey}\nx`}})],
		['extend() with a function', () => knoudsRetry(ky.create({baseUrl: `${origin}/`})).extend(() => ({headers: {'x-api-key': `${secretKey}\nx`}}))],
		['a beforeRequest hook', () => knoudsRetry(ky.create({baseUrl: `${origin}/`, hooks: {beforeRequest: [({request}) => {
			request.headers.set('x-api-key', `${secretKey}\nx`);
		}]}}))],
	])('refuses a key with a stray newline set through %s without quoting it', async (_name, create) => {
		const error: unknown = await (async () => create().get('run'))().catch((error_: unknown) => error_);
		expect(error).toBeInstanceOf(TypeError);
		expect((error as Error).message).toContain('"[REDACTED]" is an invalid header value');
		expectNowhere(secretKey, renderings(error));
	});

	it('refuses a URL with a password in it without quoting the password', () => {
		const client = knoudsRetry(ky.create());
		const call = () => client.get(`https://user:${querySecret}@api.knouds.test/run?token=${secretKey}`);
		expect(call).toThrow(TypeError);
		expect(call).toThrow('Request cannot be constructed from a URL that includes credentials: https://[REDACTED]@api.knouds.test/run?token=[REDACTED]');
	});
});

describe('createKnoudsFetch with credentials outside the x-api-key header', () => {
	it('refuses a URL with a password in it without quoting the password', async () => {
		const error: unknown = await createKnoudsFetch()(`https://user:${querySecret}@api.knouds.test/run?token=${secretKey}`).catch((error_: unknown) => error_);
		expect(error).toBeInstanceOf(TypeError);
		expect((error as Error).message).toBe('Request cannot be constructed from a URL that includes credentials: https://[REDACTED]@api.knouds.test/run?token=[REDACTED]');
		expectNowhere(querySecret, renderings(error));
		expectNowhere(secretKey, renderings(error));
	});

	it('redacts the key of a Request it is given, and its query', async () => {
		api().get('/run').query(true).reply(403, knoudsBody('CAPABILITY_DENIED', 'denied', {required: 'model:run'}));
		const response = await createKnoudsFetch()(new Request(`${origin}/run?apikey=${querySecret}`, {headers: {'x-api-key': secretKey}}));
		const error = await toKnoudsError(response);
		expectNowhere(querySecret, everything(error!));
		expectNowhere(secretKey, everything(error!));
	});
});
