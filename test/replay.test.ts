import {describe, expect, it} from 'vitest';
import {prepareRequest} from '../src/replay.js';

// A retry must send what the first attempt sent: same method, URL, headers and bytes, from arguments
// that no attempt can spoil for the next.

const url = 'https://api.knouds.test/v1/models/flux/run';

describe('prepareRequest', () => {
	it('upper-cases the method, defaults it to GET, and keeps the URL and headers it was given', () => {
		const headers = {'x-api-key': 'kn_test'};
		const prepared = prepareRequest(new URL(url), {method: 'post', headers});
		expect(prepared).toMatchObject({method: 'POST', url, signal: undefined});
		expect(prepared.headers).toBe(headers);
		expect(prepareRequest(url, undefined).method).toBe('GET');
		expect(prepareRequest(url, {}).method).toBe('GET');
	});

	it('gives each attempt its own copy of init, so that what one attempt changes the next does not see', () => {
		const init: RequestInit = {method: 'POST', body: '{"a":1}', headers: {'content-type': 'application/json'}};
		const prepared = prepareRequest(url, init);
		const [input, first] = prepared.next();
		expect(input).toBe(url);
		expect(first).toEqual(init);
		expect(first).not.toBe(init);
		first!.body = 'spoiled';
		expect(prepared.next()[1]).toEqual(init);
	});

	it('sends no init at all when the call had none', () => {
		expect(prepareRequest(url, undefined).next()).toEqual([url, undefined]);
	});

	it.each([
		['a string', '{"a":1}'],
		['URLSearchParams', new URLSearchParams({a: '1'})],
		['a Blob', new Blob(['abc'])],
		['an ArrayBuffer', new ArrayBuffer(3)],
		['a typed array', new Uint8Array([1, 2, 3])],
		['FormData', new FormData()],
		['null', null],
	])('reuses a body fetch can send any number of times as it is: %s', (_name, body) => {
		const prepared = prepareRequest(url, {method: 'POST', body});
		const [input, init] = prepared.next();
		expect(input).toBe(url);
		expect(init?.body).toBe(body);
		expect(prepared.next()[1]?.body).toBe(body);
	});

	it('buffers a one-shot stream, so that every attempt sends the same bytes', async () => {
		const stream = new ReadableStream<Uint8Array>({
			start(controller) {
				controller.enqueue(new TextEncoder().encode('{"prompt":"hi"}'));
				controller.close();
			},
		});
		const prepared = prepareRequest(url, {method: 'POST', body: stream, duplex: 'half', headers: {'x-api-key': 'kn_test'}});
		expect(prepared).toMatchObject({method: 'POST', url});
		const attempts = [prepared.next(), prepared.next()];
		for (const [input, init] of attempts) {
			expect(input).toBeInstanceOf(Request);
			// The body travels in the Request; init must not carry the spent stream again.
			expect(init).not.toHaveProperty('body');
			expect(await (input as Request).text()).toBe('{"prompt":"hi"}');
		}
	});

	it('keeps non-standard init fields, such as an undici dispatcher, on every attempt of a streamed body', () => {
		const dispatcher = {name: 'my-agent'};
		const stream = new ReadableStream();
		const prepared = prepareRequest(url, {method: 'PUT', body: stream, duplex: 'half', dispatcher} as unknown as RequestInit);
		const [, first] = prepared.next();
		const [, second] = prepared.next();
		expect(first).toMatchObject({dispatcher, method: 'PUT'});
		expect(second).not.toBe(first);
	});

	it('sends a bodyless Request as it is, without copying it, when nothing is to change', () => {
		const request = new Request(url, {headers: {'x-api-key': 'kn_test'}});
		for (const init of [undefined, {}]) {
			const prepared = prepareRequest(request, init);
			expect(prepared).toMatchObject({method: 'GET', url, signal: request.signal});
			expect(prepared.headers).toBe(request.headers);
			const [input, rest] = prepared.next();
			expect(input).toBe(request);
			expect(rest).toEqual(init);
		}
	});

	it('clones a Request with a body for each attempt, so that a retry does not meet a used body', async () => {
		const request = new Request(url, {method: 'POST', body: 'payload'});
		const prepared = prepareRequest(request, undefined);
		const [first] = prepared.next();
		const [second] = prepared.next();
		expect(first).not.toBe(request);
		expect(second).not.toBe(first);
		expect(await (first as Request).text()).toBe('payload');
		expect(await (second as Request).text()).toBe('payload');
		expect(request.bodyUsed).toBe(false);
	});

	it('applies what init changes of a Request it is given', () => {
		const prepared = prepareRequest(new Request(url), {method: 'delete', headers: {'x-api-key': 'kn_other'}});
		expect(prepared.method).toBe('DELETE');
		expect(new Headers(prepared.headers).get('x-api-key')).toBe('kn_other');
		const [input] = prepared.next();
		expect((input as Request).method).toBe('DELETE');
	});

	it('takes the signal from init, or from the Request it is given', () => {
		const controller = new AbortController();
		expect(prepareRequest(url, {signal: controller.signal}).signal).toBe(controller.signal);
		expect(prepareRequest(url, {signal: null}).signal).toBeUndefined();
		const request = new Request(url, {signal: controller.signal});
		controller.abort();
		expect(prepareRequest(request, undefined).signal?.aborted).toBe(true);
	});

	it.each([
		['a string', 'abort'],
		['an object without `aborted`', {throwIfAborted() {}, addEventListener() {}, removeEventListener() {}}],
		['an object without `throwIfAborted`', {aborted: false, addEventListener() {}, removeEventListener() {}}],
		['an object without `addEventListener`', {aborted: false, throwIfAborted() {}, removeEventListener() {}}],
		['an object without `removeEventListener`', {aborted: false, throwIfAborted() {}, addEventListener() {}}],
	])('refuses a signal that is %s, naming the option, before it can fail deep inside a retry', (_name, signal) => {
		expect(() => prepareRequest(url, {signal} as unknown as RequestInit)).toThrow(TypeError);
		expect(() => prepareRequest(url, {signal} as unknown as RequestInit)).toThrow(/^Expected `signal` to be an AbortSignal, got /);
	});

	it('takes any object shaped as an AbortSignal, such as one from another realm', () => {
		const signal = {aborted: false, throwIfAborted() {}, addEventListener() {}, removeEventListener() {}} as unknown as AbortSignal;
		expect(prepareRequest(url, {signal}).signal).toBe(signal);
	});

	describe('with a Request from another realm or a polyfill, which fetch would send to "[object Request]"', () => {
		// Tagged as a Request, but not an instance of this runtime's: what a ky hook or a polyfill may hand over.
		const requestLike = (init: {method: string; body?: ReadableStream<Uint8Array> | null; signal?: AbortSignal}): Request => ({
			[Symbol.toStringTag]: 'Request',
			url,
			method: init.method,
			headers: new Headers({'x-api-key': 'kn_test', 'content-type': 'application/json'}),
			body: init.body ?? null,
			signal: init.signal ?? new AbortController().signal,
			redirect: 'follow',
			credentials: 'same-origin',
			referrerPolicy: '',
			integrity: '',
			keepalive: false,
		}) as unknown as Request;

		const streamOf = (text: string): ReadableStream<Uint8Array> => new ReadableStream({
			start(controller) {
				controller.enqueue(new TextEncoder().encode(text));
				controller.close();
			},
		});

		it('rebuilds it as a Request of this runtime, with its URL, method and headers', () => {
			const prepared = prepareRequest(requestLike({method: 'DELETE'}), undefined);
			const [input] = prepared.next();
			expect(input).toBeInstanceOf(Request);
			expect(input).toMatchObject({url, method: 'DELETE'});
			expect(Object.fromEntries((input as Request).headers)).toEqual({'x-api-key': 'kn_test', 'content-type': 'application/json'});
			expect(prepared).toMatchObject({url, method: 'DELETE'});
		});

		it('sends its body on every attempt', async () => {
			const prepared = prepareRequest(requestLike({method: 'POST', body: streamOf('{"prompt":"hi"}')}), undefined);
			const [first] = prepared.next();
			const [second] = prepared.next();
			expect(await (first as Request).text()).toBe('{"prompt":"hi"}');
			expect(await (second as Request).text()).toBe('{"prompt":"hi"}');
		});

		it.each(['GET', 'HEAD'])('sends a %s without the body a polyfill exposes for it anyway, instead of failing', method => {
			const [input] = prepareRequest(requestLike({method, body: streamOf('')}), undefined).next();
			expect((input as Request).method).toBe(method);
			expect((input as Request).body).toBeNull();
		});

		it('still ends the call when its signal aborts', () => {
			const controller = new AbortController();
			const prepared = prepareRequest(requestLike({method: 'GET', signal: controller.signal}), undefined);
			expect(prepared.signal?.aborted).toBe(false);
			controller.abort();
			expect(prepared.signal?.aborted).toBe(true);
		});
	});
});
