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

	it('keeps the store flat over hundreds of sub-second rate-limit cycles: a cycle\'s counters outlive it by about a minute, not an hour', async () => {
		useFakeClock();
		const inner = createMemoryStore();
		const expiries = new Map<string, number>();
		const track = (name: string, ttlMs: number): void => {
			expiries.set(name, Date.now() + ttlMs);
		};

		const store: KnoudsStore = {
			get: async name => inner.get(name),
			async set(name, value, ttlMs) {
				track(name, ttlMs);
				return inner.set(name, value, ttlMs);
			},
			async add(name, delta, options) {
				track(name, options.ttlMs);
				return inner.add(name, delta, options);
			},
			async take(name, amount, options) {
				track(name, options.ttlMs);
				return inner.take(name, amount, options);
			},
			reserve: async (name, interval, now, ttlMs) => inner.reserve(name, interval, now, ttlMs),
		};
		const window = createWindow(store, key);
		const live = (): number => [...expiries.values()].filter(expiry => expiry > Date.now()).length;
		const liveAt: number[] = [];
		for (let cycle = 0; cycle < 600; cycle++) {
			// Three requests get through, the fourth meets a 429 that asks for 400 ms.
			const sent: Sent[] = [];
			for (let index = 0; index < 4; index++) {
				const slot = await window.takeSlot(Date.now(), await window.read(Date.now()));
				if (slot !== undefined) {
					sent.push(slot);
				}
			}

			for (const admission of sent.slice(0, -1)) {
				await window.count(admission);
			}

			if (sent.length > 0) {
				await window.closeGate(sent.at(-1)!, 400);
			}

			vi.advanceTimersByTime(500);
			if (cycle === 200 || cycle === 599) {
				liveAt.push(live());
			}
		}

		// Five minutes in and ten minutes in hold the same number of keys: the last minute's cycles.
		expect(liveAt[1]).toBeLessThanOrEqual(liveAt[0]! + 5);
		expect(liveAt[1]).toBeLessThan(600);
	});

	it('keeps a per-minute window used up for all of its minute, however long it sits idle, so that it does not let a second window\'s worth through', async () => {
		const {store, now, advance} = recordingStore();
		const window = createWindow(store, key);
		const limit = await learnedLimit(store, now(), 3, 60_000);
		expect((await takeAll(window, now(), limit, 5)).map(sent => sent?.probe)).toEqual([false, false, false, true, undefined]);
		advance(50_000);
		expect(await window.takeSlot(now(), limit)).toBeUndefined();
		advance(10_000);
		// The next minute: its own three and a probe.
		expect((await takeAll(window, now(), limit, 5)).map(sent => sent?.probe)).toEqual([false, false, false, true, undefined]);
	});
});
