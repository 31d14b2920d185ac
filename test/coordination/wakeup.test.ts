import {describe, expect, it, vi} from 'vitest';
import {useFakeClock} from '../support/clock.js';
import {createWakeup} from '../../src/coordination/wakeup.js';

// How attempts held by the shared state wait: woken the moment this process sees a change, and
// otherwise looking again after their poll, never sooner.

const settled = (promise: Promise<void>) => {
	const state: {done: boolean; error: unknown} = {done: false, error: undefined};
	promise.then(() => {
		state.done = true;
	}, (error: unknown) => {
		state.error = error;
	});
	return state;
};

describe('createWakeup', () => {
	it('wakes every waiter on a scope at once, and leaves no timer', async () => {
		useFakeClock();
		const wakeup = createWakeup();
		const waiters = [settled(wakeup.wait('client', 250, undefined)), settled(wakeup.wait('client', 250, undefined))];
		wakeup.wake('client');
		await vi.advanceTimersByTimeAsync(0);
		expect(waiters.map(waiter => waiter.done)).toEqual([true, true]);
		expect(vi.getTimerCount()).toBe(0);
	});

	it('lets a waiter that nothing woke look again after its poll, and not a millisecond sooner', async () => {
		useFakeClock();
		const wakeup = createWakeup();
		const waiter = settled(wakeup.wait('client', 250, undefined));
		await vi.advanceTimersByTimeAsync(249);
		expect(waiter.done).toBe(false);
		await vi.advanceTimersByTimeAsync(1);
		expect(waiter.done).toBe(true);
	});

	it('does not wake the waiters of another scope', async () => {
		useFakeClock();
		const wakeup = createWakeup();
		const waiter = settled(wakeup.wait('client', 250, undefined));
		wakeup.wake('another');
		await vi.advanceTimersByTimeAsync(100);
		expect(waiter.done).toBe(false);
	});

	it('does not count a wake from before a wait began: the wait is for news after it', async () => {
		useFakeClock();
		const wakeup = createWakeup();
		const first = settled(wakeup.wait('client', 250, undefined));
		wakeup.wake('client');
		const second = settled(wakeup.wait('client', 250, undefined));
		await vi.advanceTimersByTimeAsync(100);
		expect(first.done).toBe(true);
		expect(second.done).toBe(false);
		wakeup.wake('client');
		await vi.advanceTimersByTimeAsync(0);
		expect(second.done).toBe(true);
	});

	it('wakes a waiter whose poll already ran out once only, and keeps later waiters waking', async () => {
		useFakeClock();
		const wakeup = createWakeup();
		await Promise.all([wakeup.wait('client', 10, undefined), vi.advanceTimersByTimeAsync(10)]);
		const later = settled(wakeup.wait('client', 250, undefined));
		wakeup.wake('client');
		await vi.advanceTimersByTimeAsync(0);
		expect(later.done).toBe(true);
	});

	it('takes a negative wait as none', async () => {
		useFakeClock();
		const wakeup = createWakeup();
		const waiter = settled(wakeup.wait('client', -5, undefined));
		await vi.advanceTimersByTimeAsync(0);
		expect(waiter.done).toBe(true);
	});

	it('rejects with the abort reason the moment the signal aborts, and leaves no timer or listener behind', async () => {
		useFakeClock();
		const wakeup = createWakeup();
		const controller = new AbortController();
		const removed = vi.spyOn(controller.signal, 'removeEventListener');
		const waiter = settled(wakeup.wait('client', 250, controller.signal));
		await vi.advanceTimersByTimeAsync(10);
		const reason = new Error('cancelled');
		controller.abort(reason);
		await vi.advanceTimersByTimeAsync(0);
		expect(waiter.error).toBe(reason);
		expect(vi.getTimerCount()).toBe(0);
		expect(removed).toHaveBeenCalledWith('abort', expect.any(Function));
		// A wake after the abort finds no one to resolve.
		wakeup.wake('client');
	});

	it('rejects at once, with no timer, for a signal that was aborted already', async () => {
		useFakeClock();
		const wakeup = createWakeup();
		const reason = new Error('gone');
		await expect(wakeup.wait('client', 250, AbortSignal.abort(reason))).rejects.toBe(reason);
		expect(vi.getTimerCount()).toBe(0);
	});

	it('takes its listener off the signal once woken or polled, so a long-lived signal collects none', async () => {
		useFakeClock();
		const wakeup = createWakeup();
		const controller = new AbortController();
		const added = vi.spyOn(controller.signal, 'addEventListener');
		const removed = vi.spyOn(controller.signal, 'removeEventListener');
		const woken = wakeup.wait('client', 250, controller.signal);
		wakeup.wake('client');
		await woken;
		await Promise.all([wakeup.wait('client', 250, controller.signal), vi.advanceTimersByTimeAsync(250)]);
		expect(added).toHaveBeenCalledTimes(2);
		expect(removed).toHaveBeenCalledTimes(2);
		expect(removed.mock.calls.map(([, listener]) => listener)).toEqual(added.mock.calls.map(([, listener]) => listener));
	});
});
