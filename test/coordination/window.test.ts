import {describe, expect, it, vi} from 'vitest';
import {useFakeClock} from '../support/clock.js';
import type {Limit} from '../../src/coordination/learning.js';
import {createMemoryStore, type KnoudsStore} from '../../src/coordination/store.js';
import {createWindow, type Sent} from '../../src/coordination/window.js';

const key = (...parts: ReadonlyArray<string | number>): string => `k:${parts.join(':')}`;

// A memory store on the fake clock, recording every write by key.
const recordingStore = () => {
	useFakeClock();
	const inner = createMemoryStore();
	const writes: string[] = [];
	const store: KnoudsStore = {
		get: async name => inner.get(name),
		async set(name, value, ttlMs) {
			writes.push(name);
			return inner.set(name, value, ttlMs);
		},
		async add(name, delta, options) {
			writes.push(name);
			return inner.add(name, delta, options);
		},
		take: async (name, amount, options) => inner.take(name, amount, options),
		reserve: async (name, interval, now, ttlMs) => inner.reserve(name, interval, now, ttlMs),
	};
	return {store, writes, now: () => Date.now(), advance: (ms: number) => vi.advanceTimersByTime(ms)};
};

// A record that learned a window of `admitted` per `windowMs`, whose cycle starts now.
const learnedLimit = async (store: KnoudsStore, now: number, admitted: number, windowMs: number): Promise<Limit> => {
	const limit: Limit = {until: 0, cycle: now, learned: {admitted, windowMs, at: now}};
	await store.set(key('limit'), JSON.stringify(limit), 3_600_000);
	return limit;
};

const takeAll = async (window: ReturnType<typeof createWindow>, now: number, limit: Limit, count: number): Promise<Array<Sent | undefined>> => {
	const taken: Array<Sent | undefined> = [];
	for (let index = 0; index < count; index++) {
		taken.push(await window.takeSlot(now, limit));
	}

	return taken;
};

describe('createWindow', () => {
	it('lets a learned window\'s worth through, then one probe, then nothing until the probe answers', async () => {
		const {store, now} = recordingStore();
		const window = createWindow(store, key);
		const limit = await learnedLimit(store, now(), 2, 1000);
		const taken = await takeAll(window, now(), limit, 4);
		expect(taken.map(sent => sent?.probe)).toEqual([false, false, true, undefined]);
	});

	it('widens the window by one for each probe that got through, in this cycle and in the ones after it', async () => {
		const {store, now, advance} = recordingStore();
		const window = createWindow(store, key);
		const limit = await learnedLimit(store, now(), 2, 1000);
		const [, , probe] = await takeAll(window, now(), limit, 3);
		await window.count(probe!);
		expect((await takeAll(window, now(), limit, 3)).map(sent => sent?.probe)).toEqual([false, true, undefined]);
		advance(1000);
		// The next window: the two learned, the one a probe earned, then its probe.
		expect((await takeAll(window, now(), limit, 5)).map(sent => sent?.probe)).toEqual([false, false, false, true, undefined]);
	});

	it('never rewrites the record when a probe gets through, so that it cannot undo a gate another call closed meanwhile', async () => {
		const {store, writes, now} = recordingStore();
		const window = createWindow(store, key);
		const limit = await learnedLimit(store, now(), 1, 1000);
		const [, probe] = await takeAll(window, now(), limit, 2);
		writes.length = 0;
		await window.count(probe!);
		expect(writes).not.toContain(key('limit'));
		expect(writes.length).toBeGreaterThan(0);
	});

	it('keeps a gate closed for all of a Retry-After longer than the hour the record is otherwise kept', async () => {
		const {store, now, advance} = recordingStore();
		const window = createWindow(store, key);
		const limit = await window.read(now());
		const [sent] = await takeAll(window, now(), limit, 1);
		await window.closeGate(sent!, 2 * 3_600_000);
		advance(1.5 * 3_600_000);
		expect((await window.read(now())).until).toBeGreaterThan(now());
	});
});
