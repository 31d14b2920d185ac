import {describe, expect, it, vi} from 'vitest';
import {readBodyText} from '../src/read-body.js';
import {maxTimer, sleep} from '../src/sleep.js';
import {useFakeClock} from './support/clock.js';

// The two waits every retry makes: reading an error body to classify it, bounded in size and time,
// and sleeping before the next attempt, bounded by the caller's abort.

const encoder = new TextEncoder();

/** A body that sends `chunks`, then ends, or stays open (`stall`). */
const body = (chunks: Array<string | Uint8Array>, end: 'close' | 'stall' = 'close') => {
	let cancelled = false;
	const stream = new ReadableStream<Uint8Array>({
		start(controller) {
			for (const chunk of chunks) {
				controller.enqueue(typeof chunk === 'string' ? encoder.encode(chunk) : chunk);
			}

			if (end === 'close') {
				controller.close();
			}
		},
		cancel() {
			cancelled = true;
		},
	});
	return {response: new Response(stream), cancelled: () => cancelled};
};

describe('readBodyText', () => {
	it('reads a whole body across chunks, a character split between two of them included', async () => {
		const euro = encoder.encode('€');
		const {response} = body(['{"error":"', euro.subarray(0, 1), euro.subarray(1), '"}']);
		expect(await readBodyText(response)).toEqual({text: '{"error":"€"}', truncated: false});
	});

	it('stops at the byte limit, keeps exactly that many bytes, and leaves the rest unread', async () => {
		const {response, cancelled} = body(['abcdef', 'ghij'], 'stall');
		expect(await readBodyText(response, 8)).toEqual({text: 'abcdefgh', truncated: true});
		await vi.waitFor(() => {
			expect(cancelled()).toBe(true);
		});
	});

	it('takes a body just under the limit as whole', async () => {
		const {response} = body(['abcdefg']);
		expect(await readBodyText(response, 8)).toEqual({text: 'abcdefg', truncated: false});
	});

	it('gives up on a body that stalls once its time is up, with what arrived, and leaves no timer', async () => {
		useFakeClock();
		const {response, cancelled} = body(['{"error":"par'], 'stall');
		const state: {result?: unknown} = {};
		void readBodyText(response, 1024, 3000).then(result => {
			state.result = result;
		});
		await vi.advanceTimersByTimeAsync(2999);
		expect(state.result).toBeUndefined();
		await vi.advanceTimersByTimeAsync(1);
		expect(state.result).toEqual({text: '{"error":"par', truncated: true});
		expect(vi.getTimerCount()).toBe(0);
		expect(cancelled()).toBe(true);
	});

	it('clears its timer when a body ends in time', async () => {
		useFakeClock();
		await readBodyText(body(['{}']).response, 1024, 3000);
		expect(vi.getTimerCount()).toBe(0);
	});

	it('gives up at the caller\'s abort, with what arrived, and takes its listener off the signal', async () => {
		useFakeClock();
		const controller = new AbortController();
		const removed = vi.spyOn(controller.signal, 'removeEventListener');
		const pending = readBodyText(body(['partial'], 'stall').response, 1024, 60_000, controller.signal);
		await vi.advanceTimersByTimeAsync(10);
		controller.abort();
		expect(await pending).toEqual({text: 'partial', truncated: true});
		expect(removed).toHaveBeenCalledWith('abort', expect.any(Function));
	});

	it('keeps what arrived of a body that failed mid-way', async () => {
		let pulls = 0;
		const failing = new ReadableStream<Uint8Array>({
			pull(controller) {
				if (++pulls === 1) {
					controller.enqueue(encoder.encode('{"error":'));
				} else {
					controller.error(new Error('connection reset'));
				}
			},
		});
		expect(await readBodyText(new Response(failing))).toEqual({text: '{"error":', truncated: true});
	});

	it('reads no body, and a body already being read, as empty', async () => {
		expect(await readBodyText(new Response(null, {status: 500}))).toEqual({text: '', truncated: false});
		const locked = new Response('{"code":"X"}', {status: 500});
		locked.body!.getReader();
		expect(await readBodyText(locked)).toEqual({text: '', truncated: false});
	});
});

describe('sleep', () => {
	it('waits exactly the time asked, and leaves no timer or listener', async () => {
		useFakeClock();
		const controller = new AbortController();
		const removed = vi.spyOn(controller.signal, 'removeEventListener');
		let done = false;
		void sleep(1000, controller.signal).then(() => {
			done = true;
		});
		await vi.advanceTimersByTimeAsync(999);
		expect(done).toBe(false);
		await vi.advanceTimersByTimeAsync(1);
		expect(done).toBe(true);
		expect(vi.getTimerCount()).toBe(0);
		expect(removed).toHaveBeenCalledWith('abort', expect.any(Function));
	});

	it('sets no timer for a wait of zero or less', async () => {
		useFakeClock();
		await sleep(0);
		await sleep(-5);
		expect(vi.getTimerCount()).toBe(0);
	});

	it('rejects with the abort reason the moment the signal aborts, and clears its timer', async () => {
		useFakeClock();
		const controller = new AbortController();
		const pending = sleep(60_000, controller.signal);
		await vi.advanceTimersByTimeAsync(10);
		const reason = new Error('cancelled');
		controller.abort(reason);
		await expect(pending).rejects.toBe(reason);
		expect(vi.getTimerCount()).toBe(0);
	});

	it('rejects at once for a signal aborted already, even for no wait', async () => {
		const reason = new Error('gone');
		await expect(sleep(0, AbortSignal.abort(reason))).rejects.toBe(reason);
	});

	it('ends a wait longer than a timer can hold at that limit, rather than at once', async () => {
		useFakeClock();
		let done = false;
		void sleep(maxTimer * 3).then(() => {
			done = true;
		});
		await vi.advanceTimersByTimeAsync(maxTimer - 1);
		expect(done).toBe(false);
		await vi.advanceTimersByTimeAsync(1);
		expect(done).toBe(true);
	});
});
