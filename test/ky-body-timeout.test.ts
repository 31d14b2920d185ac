import ky, {isHTTPError, type BeforeErrorHook, type KyInstance, type Options} from 'ky';
import {describe, expect, it, vi} from 'vitest';
import {isKnoudsError, knoudsRetry} from '../src/index.js';
import {useFakeClock} from './support/clock.js';

/** A body that sends its first bytes, then nothing more, ever; `cancelled` says whether its reader gave up on it. */
const stalling = (first: string) => {
	const state = {cancelled: false};
	const stream = new ReadableStream<Uint8Array>({
		start(controller) {
			controller.enqueue(new TextEncoder().encode(first));
		},
		cancel() {
			state.cancelled = true;
		},
	});
	return {stream, state};
};

const answering = (status: number, first: string): NonNullable<Options['fetch']> => async (_input, init) => {
	const {stream} = stalling(first);
	// As a real transport does, an abort of the request errors a body still arriving.
	const body = new ReadableStream<Uint8Array>({
		async start(controller) {
			const reader = stream.getReader();
			init?.signal?.addEventListener('abort', () => {
				controller.error(init.signal?.reason);
			});
			const {value} = await reader.read();
			if (value !== undefined) {
				controller.enqueue(value);
			}
		},
	});
	return new Response(body, {status, headers: {'content-type': 'application/json'}});
};

const clients: Array<[string, (options: Options) => KyInstance]> = [
	['plain ky', options => ky.create(options)],
	['knoudsRetry(ky)', options => knoudsRetry(ky.create(options))],
];

describe.each(clients)('%s', (_name, make) => {
	it.each(['json', 'text', 'arrayBuffer', 'blob', 'bytes'] as const)('gives up on a success body that stalls after its headers once `timeout` has passed, through .%s()', async shortcut => {
		useFakeClock();
		const hooked: unknown[] = [];
		const client = make({timeout: 300, fetch: answering(200, '{"partial":'), hooks: {beforeError: [({error}) => {
			hooked.push(error);
			return error;
		}]}});
		const read = client.get('https://api.knouds.test/run')[shortcut]();
		const settled = expect(read).rejects.toMatchObject({name: 'TimeoutError'});
		await vi.advanceTimersByTimeAsync(299);
		expect(hooked).toHaveLength(0);
		await vi.advanceTimersByTimeAsync(1);
		await settled;
		expect(hooked).toHaveLength(1);
	});

	it('leaves a body read straight from the response unbounded, as ky does', async () => {
		useFakeClock();
		const response = await make({timeout: 300, fetch: async () => new Response('{"ok":true}')}).get('https://api.knouds.test/run');
		await vi.advanceTimersByTimeAsync(1000);
		expect(await response.json()).toEqual({ok: true});
	});

	it('ends a call whose error body stalls within `timeout`, not ky\'s fixed 10 s', async () => {
		useFakeClock();
		const client = make({timeout: 300, retry: 0, fetch: answering(403, '{"error":"denied","code":"MODEL_TIER_REQUIRED"')});
		let error: unknown;
		const done = client.get('https://api.knouds.test/run').catch((error_: unknown) => {
			error = error_;
		});
		await vi.advanceTimersByTimeAsync(1000);
		await done;
		expect(isHTTPError(error)).toBe(true);
	});
});

describe('knoudsRetry(ky) with a stalled body', () => {
	it('stops the network transfer of a success body it gave up on', async () => {
		useFakeClock();
		const signals: AbortSignal[] = [];
		const client = knoudsRetry(ky.create({timeout: 300, fetch: async (input, init) => {
			const signal = init?.signal ?? (input as Request).signal;
			signals.push(signal);
			return answering(200, '[')(input, init);
		}}));
		const read = client.get('https://api.knouds.test/run').json();
		const settled = expect(read).rejects.toMatchObject({name: 'TimeoutError'});
		await vi.advanceTimersByTimeAsync(300);
		await settled;
		expect(signals.at(-1)?.aborted).toBe(true);
	});

	it('classifies an error body that stalls from what arrived, and hands the caller the same', async () => {
		useFakeClock();
		const client = knoudsRetry(ky.create({timeout: 300, fetch: answering(403, '{"error":"denied","code":"MODEL_TIER_REQUIRED"}   ')}));
		let error: unknown;
		const done = client.get('https://api.knouds.test/run').catch((error_: unknown) => {
			error = error_;
		});
		await vi.advanceTimersByTimeAsync(300);
		await done;
		expect(isKnoudsError(error, 'MODEL_TIER_REQUIRED')).toBe(true);
	});
});

/** A body that arrives whole after `ms`, through a fetch that does not tie it to the request's signal. */
const arrivingAfter = (ms: number, text: string): NonNullable<Options['fetch']> => async () => new Response(new ReadableStream<Uint8Array>({
	start(controller) {
		setTimeout(() => {
			controller.enqueue(new TextEncoder().encode(text));
			controller.close();
		}, ms);
	},
}), {headers: {'content-type': 'application/json'}});

/** A body that sends its first bytes, then fails after `ms` as a dropped connection does. */
const failingAfter = (ms: number, reason: Error): NonNullable<Options['fetch']> => async () => new Response(new ReadableStream<Uint8Array>({
	start(controller) {
		controller.enqueue(new TextEncoder().encode('{"partial":'));
		setTimeout(() => {
			controller.error(reason);
		}, ms);
	},
}), {headers: {'content-type': 'application/json'}});

const stalledAfterHeaders: NonNullable<Options['fetch']> = async (input, init) => answering(200, '{"partial":')(input, {...init, signal: init?.signal ?? (input as Request).signal});

describe.each(clients)('%s, its beforeError hooks and a body read', (_name, make) => {
	it('hands the caller the error a beforeError hook put in place of a body-read timeout, even from a hook that takes its time', async () => {
		useFakeClock();
		const replaced = new Error('the upstream stalled, try again later');
		const client = make({timeout: 300, fetch: stalledAfterHeaders, hooks: {beforeError: [async () => {
			await new Promise(resolve => {
				setTimeout(resolve, 50);
			});
			return replaced;
		}]}});
		const read = client.get('https://api.knouds.test/run').json();
		const settled = expect(read).rejects.toBe(replaced);
		await vi.advanceTimersByTimeAsync(350);
		await settled;
	});

	it('keeps the timeout error of a body read when a beforeError hook only logs it and returns nothing', async () => {
		useFakeClock();
		const logged: unknown[] = [];
		const logOnly = (({error}: {error: Error}) => {
			logged.push(error);
		}) as unknown as BeforeErrorHook;
		const client = make({timeout: 300, fetch: stalledAfterHeaders, hooks: {beforeError: [logOnly]}});
		const read = client.get('https://api.knouds.test/run').text();
		const settled = expect(read).rejects.toMatchObject({name: 'TimeoutError'});
		await vi.advanceTimersByTimeAsync(300);
		await settled;
		expect(logged).toHaveLength(1);
	});

	it('ends a body read in its timeout even when the body arrives while the beforeError hooks are still running', async () => {
		useFakeClock();
		const client = make({timeout: 300, fetch: arrivingAfter(320, '{"late":true}'), hooks: {beforeError: [async ({error}) => {
			await new Promise(resolve => {
				setTimeout(resolve, 50);
			});
			return error;
		}]}});
		const read = client.get('https://api.knouds.test/run').json();
		const settled = expect(read).rejects.toMatchObject({name: 'TimeoutError'});
		await vi.advanceTimersByTimeAsync(400);
		await settled;
	});

	it('rejects a body read that fails on its own with that failure at once, and reports no timeout later', async () => {
		useFakeClock();
		const hooked: unknown[] = [];
		const dropped = new TypeError('terminated');
		const client = make({timeout: 300, fetch: failingAfter(100, dropped), hooks: {beforeError: [({error}) => {
			hooked.push(error);
			return error;
		}]}});
		const read = client.get('https://api.knouds.test/run').json();
		const settled = expect(read).rejects.toBe(dropped);
		await vi.advanceTimersByTimeAsync(100);
		await settled;
		await vi.advanceTimersByTimeAsync(1000);
		expect(hooked).toHaveLength(0);
	});

	it('reports no timeout to beforeError hooks after a body that arrived in time', async () => {
		useFakeClock();
		const hooked: unknown[] = [];
		const client = make({timeout: 300, fetch: arrivingAfter(100, '{"ok":true}'), hooks: {beforeError: [({error}) => {
			hooked.push(error);
			return error;
		}]}});
		const read = client.get('https://api.knouds.test/run').json();
		await vi.advanceTimersByTimeAsync(100);
		expect(await read).toEqual({ok: true});
		await vi.advanceTimersByTimeAsync(1000);
		expect(hooked).toHaveLength(0);
	});

	it('names the request in the timeout error of a body read', async () => {
		useFakeClock();
		const read = make({timeout: 300, fetch: stalledAfterHeaders}).post('https://api.knouds.test/v1/models/flux/run', {json: {inputs: {}}}).json();
		const settled = expect(read).rejects.toMatchObject({name: 'TimeoutError', request: {method: 'POST', url: 'https://api.knouds.test/v1/models/flux/run'}});
		await vi.advanceTimersByTimeAsync(300);
		await settled;
	});

	it('still gives up on a stalled body when a beforeRequest hook sent a Request-like object of its own', async () => {
		useFakeClock();
		const replacement = new Request('https://api.knouds.test/replaced');
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
		const client = make({timeout: 300, fetch: answering(200, '{"partial":'), hooks: {beforeRequest: [() => like as unknown as Request]}});
		const read = client.get('https://api.knouds.test/run').json();
		const settled = expect(read).rejects.toMatchObject({name: 'TimeoutError'});
		await vi.advanceTimersByTimeAsync(300);
		await settled;
	});

	it('hands beforeError hooks of a body-read timeout the call\'s options without ky\'s own', async () => {
		useFakeClock();
		const seen: Array<Record<string, unknown>> = [];
		const client = make({
			timeout: 300,
			totalTimeout: 60_000,
			throwHttpErrors: true,
			fetch: stalledAfterHeaders,
			parseJson: text => JSON.parse(text) as unknown,
			stringifyJson: value => JSON.stringify(value),
			searchParams: {model: 'flux'},
			context: {jobId: 'job-7'},
			hooks: {beforeError: [({error, options}) => {
				seen.push(options);
				return error;
			}]},
		});
		const read = client.post('https://api.knouds.test/run', {json: {inputs: {}}}).json();
		const settled = expect(read).rejects.toMatchObject({name: 'TimeoutError'});
		await vi.advanceTimersByTimeAsync(300);
		await settled;
		expect(seen).toHaveLength(1);
		const kyOwn = ['hooks', 'json', 'parseJson', 'stringifyJson', 'searchParams', 'timeout', 'totalTimeout', 'throwHttpErrors', 'fetch'];
		expect(kyOwn.filter(name => Object.hasOwn(seen[0] ?? {}, name))).toEqual([]);
		expect(seen[0]?.['context']).toEqual({jobId: 'job-7'});
	});
});

describe.each(clients)('%s and an async parseJson', (_name, make) => {
	it('lets an async parseJson of a success body take longer than `timeout`, as only the read is bounded', async () => {
		useFakeClock();
		const client = make({timeout: 300, fetch: async () => new Response('{"ok":true}', {headers: {'content-type': 'application/json'}}), parseJson: async text => new Promise(resolve => {
			setTimeout(() => {
				resolve(JSON.parse(text));
			}, 1000);
		})});
		const read = client.get('https://api.knouds.test/run').json();
		const settled = expect(read).resolves.toEqual({ok: true});
		await vi.advanceTimersByTimeAsync(1000);
		await settled;
	});

	it('leaves no timer running once an error body has been parsed, so a script ends as soon as its call does', async () => {
		useFakeClock();
		const client = make({timeout: 5000, retry: 0, parseJson: async text => JSON.parse(text) as unknown, fetch: async () => new Response('{"error":"no","code":"MODEL_TIER_REQUIRED"}', {status: 403, headers: {'content-type': 'application/json'}})});
		const error: unknown = await client.get('https://api.knouds.test/run').catch((error_: unknown) => error_);
		expect(isHTTPError(error) && error.data).toMatchObject({code: 'MODEL_TIER_REQUIRED'});
		expect(vi.getTimerCount()).toBe(0);
	});
});
