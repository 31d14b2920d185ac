import {describe, expect, it, vi} from 'vitest';
import {useFakeClock} from '../support/clock.js';
import {parseLimit, type Limit} from '../../src/coordination/learning.js';
import {createMemoryStore, type KnoudsStore} from '../../src/coordination/store.js';
import {createWindow, cycleMemoryMs, cycleTtl, memoryMs, type Sent} from '../../src/coordination/window.js';

// The learned window's rules, one at a time: what it lets through, what a 429 teaches, what is given
// back, and how long each thing is kept in a store that many processes may share.

const key = (...parts: ReadonlyArray<string | number>): string => `k:${parts.join(':')}`;

/** A memory store on the fake clock that records the time-to-live of every write, by key. */
const setUp = () => {
	useFakeClock();
	const inner = createMemoryStore();
	const ttls = new Map<string, number>();
	const store: KnoudsStore = {
		get: async name => inner.get(name),
		async set(name, value, ttlMs) {
			ttls.set(name, ttlMs);
			return inner.set(name, value, ttlMs);
		},
		async add(name, delta, options) {
			ttls.set(name, options.ttlMs);
			return inner.add(name, delta, options);
		},
		async take(name, amount, options) {
			ttls.set(name, options.ttlMs);
			return inner.take(name, amount, options);
		},
		reserve: async (name, interval, now, ttlMs) => inner.reserve(name, interval, now, ttlMs),
	};
	return {store, inner, ttls, window: createWindow(store, key), t0: Date.now()};
};

const record = async (store: KnoudsStore): Promise<Limit | undefined> => parseLimit(await store.get(key('limit')));

const learned = async (store: KnoudsStore, limit: Limit): Promise<Limit> => {
	await store.set(key('limit'), JSON.stringify(limit), memoryMs);
	return limit;
};

const sentAt = (at: number, overrides: Partial<Sent> = {}): Sent => ({kind: 'send', sentAt: at, cycle: at, window: undefined, probe: false, ...overrides});

describe('cycleTtl', () => {
	it('keeps a young cycle\'s counters a minute, an older one\'s twice its age, and none past an hour', () => {
		expect(cycleTtl(1000, 1000)).toBe(cycleMemoryMs);
		expect(cycleTtl(30_000, 0)).toBe(60_000);
		expect(cycleTtl(31_000, 0)).toBe(62_000);
		expect(cycleTtl(1_000_000, 0)).toBe(2_000_000);
		expect(cycleTtl(1_800_000, 0)).toBe(memoryMs);
		expect(cycleTtl(5 * memoryMs, 0)).toBe(memoryMs);
	});
});

describe('the record of the limit', () => {
	it('starts a cycle at the first request and keeps the record an hour', async () => {
		const {store, window, ttls, t0} = setUp();
		expect(await window.read(t0)).toEqual({until: 0, cycle: t0, learned: undefined});
		expect(await record(store)).toEqual({until: 0, cycle: t0, learned: undefined});
		expect(ttls.get(key('limit'))).toBe(memoryMs);
		// Read again, it is the same cycle: nothing is rewritten.
		ttls.clear();
		vi.advanceTimersByTime(5000);
		expect((await window.read(Date.now())).cycle).toBe(t0);
		expect(ttls.has(key('limit'))).toBe(false);
	});

	it('keeps a gate closed longer than an hour for all of its wait, and an hour when shorter', async () => {
		const {window, ttls, t0} = setUp();
		const limit = await window.read(t0);
		await window.closeGate(sentAt(t0, {cycle: limit.cycle}), 2 * memoryMs);
		expect(ttls.get(key('limit'))).toBe(2 * memoryMs);
		await window.closeGate(sentAt(t0, {cycle: limit.cycle}), 5000);
		expect(ttls.get(key('limit'))).toBe(memoryMs);
	});
});

describe('a 429 that closes the gate', () => {
	it('learns from a 429 to a request sent while the gate was open: the cycle admitted so many in so long', async () => {
		const {store, window, t0} = setUp();
		const limit = await window.read(t0);
		const slots = [await window.takeSlot(t0, limit), await window.takeSlot(t0, limit), await window.takeSlot(t0, limit)] as Sent[];
		await window.count(slots[0]!);
		await window.count(slots[1]!);
		vi.advanceTimersByTime(2000);
		await window.closeGate(slots[2]!, 8000);
		expect(await record(store)).toEqual({until: t0 + 10_000, cycle: t0 + 10_000, learned: {admitted: 2, windowMs: 10_000, at: t0 + 10_000}});
	});

	it('only moves the gate for a 429 to a request sent while it was already closed: that request was in flight, and is no news', async () => {
		const {store, window, t0} = setUp();
		const limit = await window.read(t0);
		const first = (await window.takeSlot(t0, limit)) as Sent;
		const second = (await window.takeSlot(t0, limit)) as Sent;
		await window.count(first);
		await window.closeGate(first, 5000);
		const afterFirst = await record(store);
		await window.closeGate(second, 9000);
		expect(await record(store)).toEqual({...afterFirst, until: t0 + 9000});
	});

	it('learns nothing from a 429 to a request sent without a cycle, and only closes the gate', async () => {
		const {store, window, t0} = setUp();
		await window.read(t0);
		await window.closeGate(sentAt(t0, {cycle: undefined}), 4000);
		expect(await record(store)).toEqual({until: t0 + 4000, cycle: t0, learned: undefined});
	});

	it('keeps what it learned before when a cycle admitted nothing, or its count in the store is garbled', async () => {
		const {store, window, t0} = setUp();
		const before = {admitted: 3, windowMs: 1000, at: t0};
		await learned(store, {until: 0, cycle: t0, learned: before});
		await window.closeGate(sentAt(t0), 2000);
		expect((await record(store))?.learned).toEqual(before);
		vi.advanceTimersByTime(2000);
		const now = Date.now();
		await learned(store, {until: 0, cycle: now, learned: before});
		await store.set(key('admitted', now), 'garbage', 60_000);
		await window.closeGate(sentAt(now), 1000);
		expect((await record(store))?.learned).toEqual(before);
	});
});

describe('the slots of a learned window', () => {
	it('lets through what the window admitted, then the probe, keeping the slot counters until the window ends and a while after', async () => {
		const {store, window, ttls, t0} = setUp();
		const limit = await learned(store, {until: 0, cycle: t0, learned: {admitted: 1, windowMs: 1000, at: t0}});
		expect(await window.takeSlot(t0, limit)).toEqual({kind: 'send', sentAt: t0, cycle: t0, window: t0, probe: false, windowMs: 1000});
		expect(await window.takeSlot(t0, limit)).toEqual({kind: 'send', sentAt: t0, cycle: t0, window: t0, probe: true, windowMs: 1000});
		expect(await window.takeSlot(t0, limit)).toBeUndefined();
		expect(ttls.get(key('slots', t0))).toBe(1000 + cycleMemoryMs);
		expect(ttls.get(key('probe', t0))).toBe(1000 + cycleMemoryMs);
	});

	it('lets everything through, asking the store nothing, while no window is learned', () => {
		const {store, window, t0} = setUp();
		const get = vi.spyOn(store, 'get');
		expect(window.takeSlot(t0 + 5, {until: 0, cycle: t0, learned: undefined})).toEqual({kind: 'send', sentAt: t0 + 5, cycle: t0, window: undefined, probe: false});
		expect(get).not.toHaveBeenCalled();
	});

	it('moves on to the window under way once a learned window has passed without a 429, whole windows at a time', async () => {
		const {store, window, t0} = setUp();
		const limit = await learned(store, {until: 0, cycle: t0, learned: {admitted: 1, windowMs: 1000, at: t0}});
		expect(await window.takeSlot(t0 + 999, limit)).toMatchObject({cycle: t0});
		expect(await window.takeSlot(t0 + 1000, limit)).toMatchObject({cycle: t0 + 1000, probe: false});
		expect(await window.takeSlot(t0 + 2500, limit)).toMatchObject({cycle: t0 + 2000, probe: false});
	});

	it('reads a garbled widening as none', async () => {
		const {store, window, t0} = setUp();
		const limit = await learned(store, {until: 0, cycle: t0, learned: {admitted: 1, windowMs: 1000, at: t0}});
		await store.set(key('widened', t0), 'NaN', memoryMs);
		expect((await window.takeSlot(t0, limit))?.probe).toBe(false);
		expect((await window.takeSlot(t0, limit))?.probe).toBe(true);
	});
});

describe('what an answered attempt counts', () => {
	it('counts an admitted request for its cycle, kept as long as the cycle needs it', async () => {
		const {store, window, ttls, t0} = setUp();
		await window.count(sentAt(t0));
		await window.count(sentAt(t0));
		expect(await store.get(key('admitted', t0))).toBe('2');
		expect(ttls.get(key('admitted', t0))).toBe(cycleMemoryMs);
	});

	it('counts nothing for a request sent without a cycle', async () => {
		const {store, window, t0} = setUp();
		const add = vi.spyOn(store, 'add');
		await window.count(sentAt(t0, {cycle: undefined, probe: true, window: t0}));
		expect(add).not.toHaveBeenCalled();
	});

	it('widens the learned window for good when its probe got through, and gives the cycle one more slot and its probe back', async () => {
		const {store, window, ttls, t0} = setUp();
		const limit = await learned(store, {until: 0, cycle: t0, learned: {admitted: 1, windowMs: 1000, at: t0}});
		await window.takeSlot(t0, limit);
		const probe = (await window.takeSlot(t0, limit)) as Sent;
		await window.count(probe);
		expect(await store.get(key('widened', t0))).toBe('1');
		expect(ttls.get(key('widened', t0))).toBe(memoryMs);
		// One more slot, then the probe again.
		expect((await window.takeSlot(t0, limit))?.probe).toBe(false);
		expect((await window.takeSlot(t0, limit))?.probe).toBe(true);
		expect(await window.takeSlot(t0, limit)).toBeUndefined();
	});

	it('does not widen for a request that was not the probe, or whose window was not learned', async () => {
		const {store, window, t0} = setUp();
		await window.count(sentAt(t0, {window: t0}));
		await window.count(sentAt(t0, {probe: true, window: undefined}));
		expect(await store.get(key('widened', t0))).toBeUndefined();
	});
});

describe('a probe given back', () => {
	it('is one probe, however often it is given back', async () => {
		const {store, window, ttls, t0} = setUp();
		const limit = await learned(store, {until: 0, cycle: t0, learned: {admitted: 1, windowMs: 1000, at: t0}});
		await window.takeSlot(t0, limit);
		const probe = (await window.takeSlot(t0, limit)) as Sent;
		await window.giveBackProbe(probe);
		await window.giveBackProbe(probe);
		expect(ttls.get(key('probe', t0))).toBe(1000 + cycleMemoryMs);
		expect((await window.takeSlot(t0, limit))?.probe).toBe(true);
		expect(await window.takeSlot(t0, limit)).toBeUndefined();
	});

	it('is nothing for a request that was not the probe, or had no cycle', async () => {
		const {store, window, t0} = setUp();
		const add = vi.spyOn(store, 'add');
		await window.giveBackProbe(sentAt(t0));
		await window.giveBackProbe(sentAt(t0, {probe: true, cycle: undefined}));
		expect(add).not.toHaveBeenCalled();
	});
});
