import ky, {replaceOption, type Options} from 'ky';
import {describe, expect, it, vi} from 'vitest';
import {knoudsRetry} from '../src/index.js';
import {useFakeClock} from './support/clock.js';

// A body that arrives whole after a second.
const slowBody: NonNullable<Options['fetch']> = async () => new Response(new ReadableStream<Uint8Array>({
	start(controller) {
		setTimeout(() => {
			controller.enqueue(new TextEncoder().encode('done'));
			controller.close();
		}, 1000);
	},
}));

describe('knoudsRetry(ky), a call after one ky threw on', () => {
	it('does not inherit the thrown call\'s body timeout or beforeError hooks, so its own read is not cut short', async () => {
		useFakeClock();
		const client = knoudsRetry(ky.create({fetch: slowBody}));
		const refusedHook = vi.fn(({error}: {error: Error}) => error);
		// ky builds the Request when called, after the init hooks ran, and throws on a header it refuses.
		expect(() => client.get('https://api.knouds.test/a', {timeout: 300, headers: {'x-trace': 'a\nb'}, hooks: {beforeError: [refusedHook]}})).toThrow(TypeError);
		// A call made without the wrapper's init hook (its hooks replaced, as ky's `replaceOption` does) is plain ky's:
		// its body read is bounded by nothing but its own options.
		const read = client.get('https://api.knouds.test/b', {timeout: false, hooks: replaceOption({})}).text();
		const outcome = read.then(text => text, (error: unknown) => error);
		await vi.advanceTimersByTimeAsync(1000);
		expect(await outcome).toBe('done');
		expect(refusedHook).not.toHaveBeenCalled();
	});
});
