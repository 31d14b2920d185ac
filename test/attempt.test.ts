import {AbortError} from 'p-retry';
import {describe, expect, it, vi} from 'vitest';
import {AttemptFailure, runAttempt, timeoutFailure} from '../src/attempt.js';
import {createKnoudsFetch} from '../src/fetch.js';
import type {FetchLike} from '../src/options.js';
import {prepareRequest} from '../src/replay.js';
import {useFakeClock} from './support/clock.js';
import {callSettings} from './support/settings.js';

// One attempt on its own: what it sends, how long it may take, and how what came back is classified.

const url = 'https://api.knouds.test/v1/models/flux/run';

const callWith = callSettings;

const failureOf = async (promise: Promise<unknown>): Promise<AttemptFailure> => {
	const error = await promise.catch((error_: unknown) => error_);
	expect(error).toBeInstanceOf(AttemptFailure);
	return error as AttemptFailure;
};

/** A fetch that never answers until its signal, from init or from the Request, aborts. */
const hanging: FetchLike = async (input, init) => {
	const signal = init?.signal ?? (input instanceof Request ? input.signal : undefined);
	return new Promise((_resolve, reject) => {
		signal?.addEventListener('abort', () => {
			reject(signal.reason as Error);
		});
	});
};

describe('runAttempt', () => {
	it('resolves with a response below 400 untouched, and counts the request', async () => {
		const answer = new Response('redirected', {status: 399});
		const call = callWith(async () => answer);
		expect(await runAttempt(prepareRequest(url, undefined), call)).toBe(answer);
		expect(call.sent.count).toBe(1);
	});

	it('classifies a 400 and above from its status, code, Retry-After and provider status', async () => {
		const body = {error: 'upstream', code: 'PROVIDER_SUBMIT_FAILED', providerStatus: 503};
		const call = callWith(async () => Response.json(body, {status: 500, headers: {'retry-after': '7'}}));
		const failure = await failureOf(runAttempt(prepareRequest(url, undefined), call));
		expect(failure.failure).toEqual({kind: 'http', status: 500, code: 'PROVIDER_SUBMIT_FAILED', retryAfterMs: 7000, providerStatus: 503});
		expect(failure.parsed?.body).toEqual(body);
		expect(failure.response?.status).toBe(500);
		// The body was read from a clone: the caller can still read it.
		expect(await failure.response?.json()).toEqual(body);
		const bad = await failureOf(runAttempt(prepareRequest(url, undefined), callWith(async () => new Response('', {status: 400}))));
		expect(bad.failure).toMatchObject({status: 400, code: undefined, retryAfterMs: undefined});
	});

	it('reads a Retry-After given as a date against the response\'s own Date header', async () => {
		const date = 'Sun, 01 Mar 2026 10:00:00 GMT';
		const retryAt = 'Sun, 01 Mar 2026 10:00:30 GMT';
		const failure = await failureOf(runAttempt(prepareRequest(url, undefined), callWith(async () => new Response('', {status: 429, headers: {date, 'retry-after': retryAt}}))));
		expect(failure.failure).toMatchObject({retryAfterMs: 30_000});
	});

	it('hands on an error body cut short as the text that arrived, with the status, headers and URL of the original', async () => {
		useFakeClock();
		const stalled = new ReadableStream<Uint8Array>({
			start(controller) {
				controller.enqueue(new TextEncoder().encode('{"error":"half'));
			},
		});
		const original = new Response(stalled, {status: 502, statusText: 'Bad Gateway', headers: {'x-trace': 'abc'}});
		Object.defineProperty(original, 'url', {value: url});
		const pending = failureOf(runAttempt(prepareRequest(url, undefined), callWith(async () => original, {attemptTimeout: 2000})));
		// The body read is bounded by the attempt's timeout.
		await vi.advanceTimersByTimeAsync(2000);
		const failure = await pending;
		expect(failure.failure).toMatchObject({status: 502});
		expect(failure.response).not.toBe(original);
		expect(failure.response).toMatchObject({status: 502, statusText: 'Bad Gateway', url});
		expect(failure.response?.headers.get('x-trace')).toBe('abc');
		expect(await failure.response?.text()).toBe('{"error":"half');
		expect(failure.parsed?.truncated).toBe(true);
	});

	it('bounds the error body read by what is left of the total timeout, when that is shorter', async () => {
		useFakeClock();
		const stalled = new ReadableStream<Uint8Array>({
			start(controller) {
				controller.enqueue(new TextEncoder().encode('partial'));
			},
		});
		const state: {failure?: AttemptFailure} = {};
		void failureOf(runAttempt(prepareRequest(url, undefined), callWith(async () => new Response(stalled, {status: 503}), {attemptTimeout: 5000, deadline: Date.now() + 1500}))).then(failure => {
			state.failure = failure;
		});
		await vi.advanceTimersByTimeAsync(1499);
		expect(state.failure).toBeUndefined();
		await vi.advanceTimersByTimeAsync(1);
		expect(state.failure?.failure).toMatchObject({status: 503});
	});

	it('bounds the error body read by 10 s when no timeout is set', async () => {
		useFakeClock();
		const stalled = new ReadableStream<Uint8Array>({
			start(controller) {
				controller.enqueue(new TextEncoder().encode('partial'));
			},
		});
		const state: {failure?: AttemptFailure} = {};
		void failureOf(runAttempt(prepareRequest(url, undefined), callWith(async () => new Response(stalled, {status: 503})))).then(failure => {
			state.failure = failure;
		});
		await vi.advanceTimersByTimeAsync(9999);
		expect(state.failure).toBeUndefined();
		await vi.advanceTimersByTimeAsync(1);
		expect(state.failure?.parsed?.body).toBe('partial');
	});

	it('classifies by status alone a response whose body was already used', async () => {
		const used = new Response('{"code":"EXECUTION_FAILED"}', {status: 500});
		await used.text();
		const failure = await failureOf(runAttempt(prepareRequest(url, undefined), callWith(async () => used)));
		expect(failure.failure).toMatchObject({status: 500, code: undefined});
	});

	it('sends nothing once the total timeout has run out, and fails as a timeout of the whole call', async () => {
		useFakeClock();
		const fetch = vi.fn<FetchLike>(async () => new Response('{}'));
		const call = callWith(fetch, {deadline: Date.now()});
		const failure = await failureOf(runAttempt(prepareRequest(url, undefined), call));
		expect(failure.timeout).toBe('total');
		expect(fetch).not.toHaveBeenCalled();
		expect(call.sent.count).toBe(0);
	});

	it('times out at `timeout` when the total timeout is further, as a timeout of the attempt', async () => {
		useFakeClock();
		const pending = failureOf(runAttempt(prepareRequest(url, undefined), callWith(hanging, {attemptTimeout: 1000, deadline: Date.now() + 1001})));
		await vi.advanceTimersByTimeAsync(1000);
		const failure = await pending;
		expect(failure.timeout).toBe('attempt');
		expect(failure.failure).toEqual({kind: 'timeout'});
		expect(failure.cause).toMatchObject({name: 'TimeoutError', message: 'The attempt timed out.'});
		expect(vi.getTimerCount()).toBe(0);
	});

	it('times out when the total timeout runs out first, as a timeout of the whole call, even when it ends together with `timeout`', async () => {
		useFakeClock();
		const state: {failure?: AttemptFailure} = {};
		void failureOf(runAttempt(prepareRequest(url, undefined), callWith(hanging, {attemptTimeout: 1000, deadline: Date.now() + 1000}))).then(failure => {
			state.failure = failure;
		});
		await vi.advanceTimersByTimeAsync(999);
		expect(state.failure).toBeUndefined();
		await vi.advanceTimersByTimeAsync(1);
		expect(state.failure?.timeout).toBe('total');
		expect(state.failure?.cause).toMatchObject({name: 'TimeoutError', message: 'The call\'s total timeout ran out.'});
	});

	it('times out at the total timeout alone when no `timeout` is set', async () => {
		useFakeClock();
		const pending = failureOf(runAttempt(prepareRequest(url, undefined), callWith(hanging, {deadline: Date.now() + 300})));
		await vi.advanceTimersByTimeAsync(300);
		expect((await pending).timeout).toBe('total');
	});

	it('times out even through a fetch that ignores its signal, and aborts the signal it gave that fetch', async () => {
		useFakeClock();
		let given: AbortSignal | undefined;
		const deaf: FetchLike = async (_input, init) => {
			given = init?.signal ?? undefined;
			return new Promise(() => undefined);
		};
		const pending = failureOf(runAttempt(prepareRequest(url, undefined), callWith(deaf, {attemptTimeout: 500})));
		await vi.advanceTimersByTimeAsync(500);
		expect((await pending).timeout).toBe('attempt');
		expect(given?.aborted).toBe(true);
		expect(given?.reason).toMatchObject({name: 'TimeoutError'});
	});

	it('hands a custom fetch the Request as it is, the one ky\'s hooks see, and the attempt\'s signal in init', async () => {
		useFakeClock();
		let given: {input: unknown; signal: AbortSignal | undefined} | undefined;
		const custom: FetchLike = async (input, init) => {
			given = {input, signal: init?.signal ?? undefined};
			return new Promise(() => undefined);
		};
		const sent = new Request(url);
		const pending = failureOf(runAttempt(prepareRequest(sent, undefined), callWith(custom, {attemptTimeout: 500})));
		await vi.advanceTimersByTimeAsync(500);
		await pending;
		expect(given?.input).toBe(sent);
		expect(given?.signal?.aborted).toBe(true);
	});

	it('gives the platform\'s fetch the Request as it is, and the signal in init', async () => {
		useFakeClock();
		const request = new Request(url);
		let seen: unknown;
		const platform: FetchLike = async (input, init) => {
			seen = input;
			return hanging(input, init);
		};
		const pending = failureOf(runAttempt(prepareRequest(request, undefined), callWith(platform, {platformFetch: true, attemptTimeout: 100})));
		await vi.advanceTimersByTimeAsync(100);
		await pending;
		expect(seen).toBe(request);
	});

	it('rejects with the caller\'s abort reason at once, and stops the request', async () => {
		const controller = new AbortController();
		let given: AbortSignal | undefined;
		const pending = runAttempt(prepareRequest(url, {signal: controller.signal}), callWith(async (input, init) => {
			given = init?.signal ?? undefined;
			return hanging(input, init);
		}));
		const reason = new Error('cancelled');
		controller.abort(reason);
		await expect(pending).rejects.toBe(reason);
		expect(given?.aborted).toBe(true);
	});

	it('rejects with the reason, sending nothing more, for a signal aborted before the attempt', async () => {
		const reason = new Error('too late');
		const pending = runAttempt(prepareRequest(url, {signal: AbortSignal.abort(reason)}), callWith(hanging, {attemptTimeout: 1000}));
		await expect(pending).rejects.toBe(reason);
	});

	it('leaves nothing on the caller\'s signal once the attempt has settled', async () => {
		const controller = new AbortController();
		const removed = vi.spyOn(controller.signal, 'removeEventListener');
		await runAttempt(prepareRequest(url, {signal: controller.signal}), callWith(async () => new Response('{}')));
		expect(removed).toHaveBeenCalledWith('abort', expect.any(Function));
		removed.mockClear();
		await runAttempt(prepareRequest(url, {signal: controller.signal}), callWith(async () => {
			throw new TypeError('fetch failed');
		})).catch(() => undefined);
		expect(removed).toHaveBeenCalledWith('abort', expect.any(Function));
	});

	it('classifies fetch\'s network error as one, and tells whether the request left before it failed', async () => {
		const refused = await failureOf(runAttempt(prepareRequest(url, undefined), callWith(async () => {
			throw new TypeError('fetch failed', {cause: Object.assign(new Error('connect'), {code: 'ECONNREFUSED'})});
		})));
		expect(refused.failure).toEqual({kind: 'network', beforeSend: true});
		const reset = await failureOf(runAttempt(prepareRequest(url, undefined), callWith(async () => {
			throw new TypeError('fetch failed', {cause: Object.assign(new Error('reset'), {code: 'ECONNRESET'})});
		})));
		expect(reset.failure).toEqual({kind: 'network', beforeSend: false});
		expect(reset.cause).toMatchObject({message: 'fetch failed'});
	});

	it('does not retry what is not a transport failure (an invalid URL, a bug in a custom fetch), and keeps its error', async () => {
		const bug = new RangeError('bug in my fetch');
		const thrown: unknown = await runAttempt(prepareRequest(url, undefined), callWith(async () => {
			throw bug;
		})).catch((error: unknown) => error);
		expect(thrown).toBeInstanceOf(AbortError);
		expect((thrown as AbortError).originalError).toBe(bug);
		const synchronous = new Error('thrown at once');
		const atOnce: unknown = await runAttempt(prepareRequest(url, undefined), callWith(() => {
			throw synchronous;
		}, {attemptTimeout: 1000})).catch((error: unknown) => error);
		expect((atOnce as AbortError).originalError).toBe(synchronous);
		const odd: unknown = await runAttempt(prepareRequest(url, undefined), callWith(async () => Promise.reject(new Error('plain')), {attemptTimeout: 1000})).catch((error: unknown) => error);
		expect((odd as AbortError).originalError).toMatchObject({message: 'plain'});
	});

	it.each([
		[null, 'null'],
		[undefined, 'undefined'],
		[{status: 200}, 'object'],
	])('refuses, without retrying, a fetch that resolves with %j instead of a Response', async (value, shown) => {
		const thrown: unknown = await runAttempt(prepareRequest(url, undefined), callWith(async () => value as unknown as Response)).catch((error: unknown) => error);
		expect(thrown).toBeInstanceOf(AbortError);
		expect((thrown as AbortError).originalError).toEqual(new TypeError(`Expected \`fetch\` to resolve with a Response, got ${shown}.`));
	});

	it('frees the connection of a response that comes after the attempt timed out', async () => {
		useFakeClock();
		let answer: (response: Response) => void = () => undefined;
		const late = new Response(new ReadableStream({pull() {}}));
		const cancel = vi.spyOn(late.body!, 'cancel');
		const deaf: FetchLike = async () => new Promise(resolve => {
			answer = resolve;
		});
		const pending = failureOf(runAttempt(prepareRequest(url, undefined), callWith(deaf, {attemptTimeout: 100})));
		await vi.advanceTimersByTimeAsync(100);
		await pending;
		answer(late);
		await vi.advanceTimersByTimeAsync(0);
		expect(cancel).toHaveBeenCalled();
	});
});

describe('the controller of the last answer', () => {
	it('is kept for the call, so that the network read of a success body can be stopped', async () => {
		const controller = new AbortController();
		let given: AbortSignal | undefined;
		const call = callWith(async (_input, init) => {
			given = init?.signal ?? undefined;
			return new Response('{}');
		});
		await runAttempt(prepareRequest(url, {signal: controller.signal}), call);
		const reason = new Error('body took too long');
		call.answered.controller?.abort(reason);
		expect(given?.aborted).toBe(true);
		expect(given?.reason).toBe(reason);
	});

	it('is not kept for an answer that came after the attempt gave up', async () => {
		useFakeClock();
		let answer: (response: Response) => void = () => undefined;
		const call = callWith(async () => new Promise<Response>(resolve => {
			answer = resolve;
		}), {attemptTimeout: 100});
		const pending = runAttempt(prepareRequest(url, undefined), call).catch((error: unknown) => error);
		await vi.advanceTimersByTimeAsync(100);
		answer(new Response('{}'));
		expect(await pending).toBeInstanceOf(AttemptFailure);
		expect(call.answered.controller).toBeUndefined();
	});
});

describe('AttemptFailure#publicError', () => {
	it('is the network or timeout error itself, or one KnoudsError for an HTTP failure, made once', () => {
		const timeout = timeoutFailure('attempt');
		expect(timeout.publicError(new Request(url), 1)).toBe(timeout.cause);
		const http = new AttemptFailure({kind: 'http', status: 500, code: undefined, retryAfterMs: 2000, providerStatus: undefined}, new Response('', {status: 500}), undefined, undefined);
		http.stopReason = 'retries-exhausted';
		const error = http.publicError(new Request(url), 4);
		expect(error).toMatchObject({name: 'HTTPError', status: 500, attempts: 4, retryAfterMs: 2000, stopReason: 'retries-exhausted'});
		expect(http.publicError(new Request(url), 4)).toBe(error);
	});

	it('gives no Retry-After for a failure that had no HTTP answer', () => {
		const network = new AttemptFailure({kind: 'network', beforeSend: false}, undefined, undefined, new TypeError('fetch failed'));
		expect(network.errorInit(new Request(url), 2)).toMatchObject({retryAfterMs: undefined, truncated: false, attempts: 2, body: undefined});
	});
});

describe('what an attempt leaves behind and hands on', () => {
	/** A fetch that ignores its signal and never answers. */
	const deaf: FetchLike = async () => new Promise<Response>(() => undefined);

	it('leaves no timer running once the caller cancels, even through a fetch that ignores its signal, so the process is not held open until the attempt timeout', async () => {
		useFakeClock();
		const controller = new AbortController();
		const pending = runAttempt(prepareRequest(url, {signal: controller.signal}), callWith(deaf, {attemptTimeout: 30_000})).catch((error: unknown) => error);
		const reason = new Error('cancelled');
		controller.abort(reason);
		expect(await pending).toBe(reason);
		expect(vi.getTimerCount()).toBe(0);
	});

	it('leaves no timer running, nor a listener on the caller\'s signal, when a custom fetch throws at once', async () => {
		useFakeClock();
		const controller = new AbortController();
		const removed = vi.spyOn(controller.signal, 'removeEventListener');
		const thrown: unknown = await runAttempt(prepareRequest(url, {signal: controller.signal}), callWith(() => {
			throw new Error('thrown at once');
		}, {attemptTimeout: 30_000})).catch((error: unknown) => error);
		expect((thrown as AbortError).originalError).toMatchObject({message: 'thrown at once'});
		expect(vi.getTimerCount()).toBe(0);
		expect(removed).toHaveBeenCalledWith('abort', expect.any(Function));
	});

	it('hands a custom fetch the init as the caller gave it, with no signal added, when the call has neither a timeout nor a signal', async () => {
		const inits: Array<RequestInit | undefined> = [];
		const custom: FetchLike = async (_input, init) => {
			inits.push(init);
			return new Response('{}');
		};
		await runAttempt(prepareRequest(url, undefined), callWith(custom));
		await runAttempt(prepareRequest(url, {headers: {'x-trace': 'abc'}}), callWith(custom));
		expect(inits).toEqual([undefined, {headers: {'x-trace': 'abc'}}]);
	});

	it('hands the platform\'s fetch the caller\'s own signal when no timeout is set, since it watches that signal itself', async () => {
		const controller = new AbortController();
		let given: AbortSignal | null | undefined;
		const platform: FetchLike = async (_input, init) => {
			given = init?.signal;
			return new Response('{}');
		};
		await runAttempt(prepareRequest(url, {signal: controller.signal}), callWith(platform, {platformFetch: true}));
		expect(given).toBe(controller.signal);
	});

	it('accepts the Response of another fetch implementation (a polyfill, another realm), known by its tag', async () => {
		class ForeignResponse {
			readonly status = 200;
			readonly ok = true;

			get [Symbol.toStringTag](): string {
				return 'Response';
			}
		}

		const answer = new ForeignResponse();
		expect(answer).not.toBeInstanceOf(Response);
		expect(await runAttempt(prepareRequest(url, undefined), callWith(async () => answer as unknown as Response))).toBe(answer);
	});

	it('hands on a failed response whose body was already used as it is, and an error with no body rather than made-up text', async () => {
		const used = new Response('{"code":"EXECUTION_FAILED"}', {status: 500});
		await used.text();
		const failure = await failureOf(runAttempt(prepareRequest(url, undefined), callWith(async () => used)));
		expect(failure.response).toBe(used);
		expect(failure.publicError(new Request(url), 1)).toMatchObject({status: 500, body: undefined});
	});

	it('rejects the call with the very value a custom fetch threw, even one that has no string form', async () => {
		const odd = Object.create(null) as object;
		// eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- the case under test: a fetch that rejects with a non-Error
		const knoudsFetch = createKnoudsFetch({fetch: async () => Promise.reject(odd)});
		await expect(knoudsFetch(url)).rejects.toBe(odd);
		const atOnce = createKnoudsFetch({fetch() {
			// eslint-disable-next-line @typescript-eslint/only-throw-error -- the case under test: a fetch that throws a non-Error
			throw odd;
		}, timeout: 1000});
		await expect(atOnce(url)).rejects.toBe(odd);
	});
});
