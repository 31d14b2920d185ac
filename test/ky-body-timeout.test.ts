import ky, {isHTTPError, type KyInstance, type Options} from 'ky';
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
