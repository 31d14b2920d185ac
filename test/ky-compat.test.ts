import {getEventListeners} from 'node:events';
import ky, {HTTPError, type KyInstance, type Options} from 'ky';
import {describe, expect, it, vi} from 'vitest';
import {createKnoudsFetch, isKnoudsError, knoudsRetry, type FetchLike} from '../src/index.js';
import {useFakeClock} from './support/clock.js';
import {secretKey} from './support/http.js';

// Each behaviour is checked on plain ky and on the wrapped client alike: what holds for one holds for the other.

const url = 'https://api.knouds.test/v1/models/flux/run';

const answer = (status: number, body: string | Uint8Array<ArrayBuffer>, headers: Record<string, string> = {}): NonNullable<Options['fetch']> =>
	async () => new Response(body, {status, headers});

const errorOf = async (client: KyInstance, options: Options = {}): Promise<HTTPError> => {
	const error: unknown = await client.post(url, {json: {inputs: {}}, ...options}).catch((error_: unknown) => error_);
	expect(error).toBeInstanceOf(HTTPError);
	return error as HTTPError;
};

const pair = (options: Options): Array<[string, KyInstance]> => [
	['plain ky', ky.create({retry: 0, ...options})],
	['knoudsRetry(ky)', knoudsRetry(ky.create(options), {random: () => 0})],
];

describe('HTTPError#data, as ky makes it', () => {
	it.each([
		['JSON it parses', 403, '{"error":"denied","code":"MODEL_TIER_REQUIRED"}', 'application/json', {error: 'denied', code: 'MODEL_TIER_REQUIRED'}],
		['JSON that fails to parse as undefined', 403, '{"error":"denied", "co', 'application/json', undefined],
		['a JSON-looking text/plain body as text', 403, '{"error":"denied"}', 'text/plain', '{"error":"denied"}'],
		['a latin-1 body decoded with its charset', 400, new Uint8Array([0x63, 0x61, 0x66, 0xE9]), 'text/plain; charset=iso-8859-1', 'café'],
		['an empty body as undefined', 403, '', 'application/json', undefined],
	] as const)('gives %s', async (_name, status, body, type, expected) => {
		for (const [, client] of pair({fetch: answer(status, body, {'content-type': type})})) {
			expect((await errorOf(client)).data).toEqual(expected);
		}
	});

	it('uses the client\'s parseJson, given its context, for the error body', async () => {
		const seen: unknown[] = [];
		const parseJson = (text: string, context: {request: Request; response: Response}): unknown => {
			seen.push(context.response.status);
			return {parsed: text.length};
		};

		for (const [, client] of pair({parseJson, fetch: answer(403, '{"code":"MODEL_TIER_REQUIRED"}', {'content-type': 'application/json'})})) {
			expect((await errorOf(client)).data).toEqual({parsed: 30});
		}

		expect(seen).toEqual([403, 403]);
	});

	it('still classifies the wrapped client\'s error by its Knouds code when parseJson reshapes data', async () => {
		const wrapped = knoudsRetry(ky.create({parseJson: () => 'reshaped', fetch: answer(403, '{"error":"no","code":"MODEL_TIER_REQUIRED"}', {'content-type': 'application/json'})}));
		const error = await errorOf(wrapped);
		expect(isKnoudsError(error, 'MODEL_TIER_REQUIRED')).toBe(true);
		expect(error.data).toBe('reshaped');
	});
});

describe('the message, as ky makes it', () => {
	it('starts with ky\'s own message, word for word', async () => {
		const fetch: Options['fetch'] = async () => new Response('{"error":"bad","code":"INVALID_INPUTS"}', {status: 400, statusText: 'Bad Request', headers: {'content-type': 'application/json'}});
		const [plain, wrapped] = pair({fetch}).map(([, client]) => client) as [KyInstance, KyInstance];
		const kyMessage = (await errorOf(plain)).message;
		expect(kyMessage).toBe(`Request failed with status code 400 Bad Request: POST ${url}`);
		const message = (await errorOf(wrapped)).message;
		expect(message.startsWith(`${kyMessage} — Knouds INVALID_INPUTS: bad. `)).toBe(true);
	});
});

describe('error.options', () => {
	it('keeps the call\'s context and body, and only the credentials are redacted', async () => {
		const options: Options = {context: {jobId: 'job-7'}, headers: {'x-api-key': secretKey}, fetch: answer(403, '{"code":"MODEL_TIER_REQUIRED"}')};
		for (const [, client] of pair(options)) {
			const error = await errorOf(client);
			expect(error.options.context).toEqual({jobId: 'job-7'});
			expect(error.options.body).toBe('{"inputs":{}}');
		}

		const wrapped = await errorOf(knoudsRetry(ky.create(options)));
		expect(new Headers(wrapped.options.headers).get('x-api-key')).toBe('[REDACTED]');
	});
});

describe('what ky does with odd input, the wrapped client does too', () => {
	it('rejects with the very value a custom fetch threw when it is not an Error, without calling beforeError hooks', async () => {
		for (const [, client] of pair({})) {
			let hooked = 0;
			const fetch = async (): Promise<Response> => {
				// eslint-disable-next-line @typescript-eslint/only-throw-error -- the case under test: a fetch that throws a string
				throw 'socket gone';
			};

			const outcome: unknown = await client.get(url, {fetch, hooks: {beforeError: [({error}) => {
				hooked++;
				return error;
			}]}}).catch((error: unknown) => error);
			expect(outcome).toBe('socket gone');
			expect(hooked).toBe(0);
		}
	});

	it('sends the Request-like object a beforeRequest hook returns', async () => {
		for (const [, client] of pair({})) {
			const urls: string[] = [];
			const fetch = async (input: string | URL | Request): Promise<Response> => {
				urls.push(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
				return new Response('{"ok":true}');
			};

			const replacement = new Request('https://api.knouds.test/replaced', {headers: {'x-trace': '1'}});
			// A Request from elsewhere (another realm, a polyfill): ky takes it by its tag, not its class.
			const like = {
				[Symbol.toStringTag]: 'Request',
				url: replacement.url,
				method: 'GET',
				headers: replacement.headers,
				body: null,
				signal: replacement.signal,
				clone: () => like,
			};
			const response = await client.get(url, {fetch, hooks: {beforeRequest: [() => like as unknown as Request]}});
			expect(response.status).toBe(200);
			expect(urls).toEqual(['https://api.knouds.test/replaced']);
		}
	});

	it('ends a call with totalTimeout: 0 in ky\'s TimeoutError, sending nothing', async () => {
		for (const [, client] of pair({})) {
			let sent = 0;
			const fetch = async (): Promise<Response> => {
				sent++;
				return new Response('{}');
			};

			await expect(client.get(url, {fetch, totalTimeout: 0})).rejects.toMatchObject({name: 'TimeoutError'});
			expect(sent).toBe(0);
		}
	});

	it.each(['timeout', 'totalTimeout'])('rejects a %s past a timer\'s limit with ky\'s RangeError', async name => {
		for (const [, client] of pair({})) {
			await expect(client.get(url, {[name]: 2_147_483_648, fetch: async () => new Response('{}')})).rejects.toThrow(new RangeError(`The \`${name}\` option cannot be greater than 2147483647`));
		}
	});
});

describe('ky\'s retry: 0 under the wrapper', () => {
	it.each([['on the client', {retry: 0}, {}], ['on the call', {}, {retry: 0}], ['as {limit: 0}', {}, {retry: {limit: 0}}]] as const)('sends a GET that meets a 500 once when retry is 0 %s', async (_name, clientOptions, callOptions) => {
		let sent = 0;
		const fetch = async (): Promise<Response> => {
			sent++;
			return new Response('{"error":"x","code":"EXECUTION_FAILED"}', {status: 500});
		};

		const error: unknown = await knoudsRetry(ky.create({fetch, ...clientOptions}), {random: () => 0}).get(url, callOptions).catch((error_: unknown) => error_);
		expect(sent).toBe(1);
		expect(isKnoudsError(error, 'EXECUTION_FAILED') && error.stopReason).toBe('retries-exhausted');
	});

	it('still retries by its policy when the client leaves ky\'s retry at its default', async () => {
		let sent = 0;
		const fetch = async (): Promise<Response> => ++sent < 3 ? new Response('{"error":"x","code":"EXECUTION_FAILED"}', {status: 500}) : new Response('{}');
		expect((await knoudsRetry(ky.create({fetch}), {random: () => 0}).get(url)).status).toBe(200);
		expect(sent).toBe(3);
	});

	it('still sends a retry that shouldRetry forces', async () => {
		let sent = 0;
		const fetch = async (): Promise<Response> => ++sent < 2 ? new Response('{"error":"x","code":"EXECUTION_FAILED"}', {status: 500}) : new Response('{}');
		expect((await knoudsRetry(ky.create({fetch, retry: 0}), {random: () => 0, shouldRetry: () => true}).get(url)).status).toBe(200);
		expect(sent).toBe(2);
	});
});

describe('a streamed request body', () => {
	const streamed = () => {
		const state = {cancelled: false};
		const body = new ReadableStream<Uint8Array>({
			pull(controller) {
				controller.enqueue(new TextEncoder().encode('chunk'));
			},
			cancel() {
				state.cancelled = true;
			},
		});
		return {body, state};
	};

	it('is cancelled when a call fails without the fetch reading it, on plain ky and the wrapped client', async () => {
		for (const [, client] of pair({fetch: answer(403, '{"error":"no","code":"MODEL_TIER_REQUIRED"}')})) {
			const {body, state} = streamed();
			await client.post(url, {body}).catch(() => undefined);
			await expect.poll(() => state.cancelled).toBe(true);
		}
	});

	it('is cancelled when a createKnoudsFetch call ends without the fetch reading it', async () => {
		const {body, state} = streamed();
		const knoudsFetch = createKnoudsFetch({fetch: answer(403, '{"error":"no","code":"MODEL_TIER_REQUIRED"}')});
		expect((await knoudsFetch(url, {method: 'POST', body, duplex: 'half'})).status).toBe(403);
		await expect.poll(() => state.cancelled).toBe(true);
	});
});

describe('what ky\'s own suite checks of bodies, signals and hooks', () => {
	// A body that sends nothing until the request's signal aborts it, as a real transport's does.
	const stallUntilAborted: NonNullable<Options['fetch']> = async (input, init) => {
		const signal = init?.signal ?? (input as Request).signal;
		const body = new ReadableStream<Uint8Array>({
			start(controller) {
				signal.addEventListener('abort', () => {
					controller.error(signal.reason);
				});
			},
		});
		return new Response(body, {headers: {'content-type': 'text/plain'}});
	};

	it.each([['with timeout: false', false], ['with a timeout', 60_000]] as const)('stops a body read at the caller\'s abort after the headers arrived, %s', async (_name, timeout) => {
		for (const [, client] of pair({timeout, fetch: stallUntilAborted})) {
			const controller = new AbortController();
			const response = await client.get(url, {signal: controller.signal});
			const read = response.text();
			const reason = new Error('caller gave up');
			controller.abort(reason);
			await expect(read).rejects.toBe(reason);
		}
	});

	it('bounds a shortcut\'s read by `timeout` even when the response has a body method of its own', async () => {
		useFakeClock();
		for (const [, client] of pair({timeout: 50, fetch: async () => Object.assign(new Response('{}'), {text: async () => new Promise<string>(() => undefined)})})) {
			const read = client.get(url).text();
			const settled = expect(read).rejects.toMatchObject({name: 'TimeoutError'});
			await vi.advanceTimersByTimeAsync(50);
			await settled;
		}
	});

	it('gives up on an async parseJson of an error body that never settles once `timeout` has passed', async () => {
		useFakeClock();
		for (const [, client] of pair({timeout: 500, parseJson: async () => new Promise(() => undefined), fetch: answer(403, '{"code":"MODEL_TIER_REQUIRED"}', {'content-type': 'application/json'})})) {
			let error: unknown;
			const done = client.get(url).catch((error_: unknown) => {
				error = error_;
			});
			await vi.advanceTimersByTimeAsync(500);
			await done;
			expect(error).toBeInstanceOf(HTTPError);
			expect((error as HTTPError).data).toBeUndefined();
		}
	});

	it('hands a custom fetch the very Request that hooks and parseJson see', async () => {
		for (const [, client] of pair({})) {
			const seen: unknown[] = [];
			await client.get(url, {
				fetch: async input => {
					seen.push(input);
					return new Response('{"ok":true}', {headers: {'content-type': 'application/json'}});
				},
				hooks: {beforeRequest: [({request}) => {
					seen.push(request);
				}]},
				parseJson: (text, {request}) => {
					seen.push(request);
					return JSON.parse(text) as unknown;
				},
			}).json();
			expect(seen).toHaveLength(3);
			expect(new Set(seen).size).toBe(1);
		}
	});

	it('takes `retry: 0` set by an init hook of the call\'s own', async () => {
		let sent = 0;
		const fetch = async (): Promise<Response> => {
			sent++;
			return new Response('{"error":"x","code":"EXECUTION_FAILED"}', {status: 500});
		};

		await knoudsRetry(ky.create({fetch}), {random: () => 0}).get(url, {hooks: {init: [options => {
			options.retry = 0;
		}]}}).catch(() => undefined);
		expect(sent).toBe(1);
	});
});

describe('createKnoudsFetch and a body read', () => {
	it('stops a body read at the caller\'s abort after the headers arrived, as fetch does, with an attempt timeout set', async () => {
		const fetch: FetchLike = async (_input, init) => {
			const signal = init?.signal;
			const body = new ReadableStream<Uint8Array>({
				start(controller) {
					signal?.addEventListener('abort', () => {
						controller.error(signal.reason);
					});
				},
			});
			return new Response(body);
		};

		const controller = new AbortController();
		const response = await createKnoudsFetch({fetch, timeout: 60_000})(url, {signal: controller.signal});
		const read = response.text();
		const reason = new Error('caller gave up');
		controller.abort(reason);
		await expect(read).rejects.toBe(reason);
		// Joined, not listened to: a signal shared by many calls gathers nothing.
		expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
	});
});

describe('ky\'s checks of its retry option', () => {
	it.each([
		['a negative limit', {retry: -1}],
		['a limit that is not a whole number', {retry: {limit: 1.5}}],
		['methods that are not an array', {retry: {methods: 'get'}}],
		['statusCodes that are not an array', {retry: {statusCodes: 500}}],
		['afterStatusCodes that are not an array', {retry: {afterStatusCodes: 413}}],
		['a null retry', {retry: null}],
		['a retry that is neither a number nor an object', {retry: 'always'}],
	])('refuses %s with ky\'s own error, on plain ky and the wrapped client alike', async (_name, options) => {
		const errors: string[] = [];
		for (const [, client] of pair({fetch: answer(200, '{}')})) {
			try {
				await client.get(url, options as Options);
				errors.push('no error');
			} catch (error) {
				errors.push(`${(error as Error).name}: ${(error as Error).message}`);
			}
		}

		expect(errors[0]).not.toBe('no error');
		expect(errors[1]).toBe(errors[0]);
	});
});

describe('ky.retry() forced from an afterResponse hook', () => {
	it.each([['a number', 1], ['an object', {limit: 1}]] as const)('is limited by the client\'s retry given as %s, on plain ky and the wrapped client alike', async (_name, retry) => {
		for (const [, client] of pair({retry, hooks: {afterResponse: [() => ky.retry({delay: 0})]}})) {
			let sent = 0;
			const fetch = async (): Promise<Response> => {
				sent++;
				return new Response('{}');
			};

			await client.get(url, {fetch}).catch(() => undefined);
			expect(sent).toBe(2);
		}
	});
});
