import {describe, expect, it, vi} from 'vitest';
import {useFakeClock} from '../support/clock.js';
import {parseLimit, type Limit} from '../../src/coordination/learning.js';
import {createMemoryStore, type KnoudsStore} from '../../src/coordination/store.js';
import {paceRate} from '../../src/coordination/rate.js';
import {createWindow, cycleMemoryMs, cycleTtl, memoryMs, type Held, type Sent} from '../../src/coordination/window.js';

// The learned limit's rules, one at a time: what it lets through, what a 429 teaches, what an answer
// counts, and how long each thing is kept in a store that many processes may share.

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
		async pace(name, options) {
			ttls.set(name, options.ttlMs);
			return inner.pace(name, options);
		},
	};
	return {store, inner, ttls, window: createWindow(store, key), t0: Date.now()};
};

const record = async (store: KnoudsStore): Promise<Limit | undefined> => parseLimit(await store.get(key('limit')));

const learned = async (store: KnoudsStore, limit: Limit): Promise<Limit> => {
	await store.set(key('limit'), JSON.stringify(limit), memoryMs);
	return limit;
};

const sentAt = (at: number, overrides: Partial<Sent> = {}): Sent => ({kind: 'send', sentAt: at, cycle: at, ...overrides});

const windowOf = (admitted: number, windowMs: number, at: number) => ({admitted, windowMs, at, refill: undefined});

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
		expect(await record(store)).toEqual({until: t0 + 10_000, cycle: t0 + 10_000, learned: {admitted: 2, windowMs: 10_000, at: t0 + 10_000, refill: undefined}});
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
		const before = windowOf(3, 1000, t0);
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

	it('learns a refill from a cycle that let more through than the burst: the rate at which the rest got through', async () => {
		const {store, window, t0} = setUp();
		await learned(store, {until: 0, cycle: t0, learned: windowOf(2, 1000, t0)});
		for (let index = 0; index < 12; index++) {
			await window.count(sentAt(t0));
		}

		vi.advanceTimersByTime(2000);
		await window.closeGate(sentAt(t0 + 1900, {cycle: t0}), 500);
		// Ten beyond the burst of two, in the two seconds until the 429.
		expect(await record(store)).toEqual({until: t0 + 2500, cycle: t0 + 2500, learned: {admitted: 2, windowMs: 1000, at: t0 + 2500, refill: 0.005}});
	});

	it('learns, once a refill is known, a refill a fifth below the pace the pacer had reached when the server said no', async () => {
		const {store, window, t0} = setUp();
		const known = {admitted: 2, windowMs: 1000, at: t0, refill: 0.01};
		await learned(store, {until: 0, cycle: t0, learned: known});
		await store.set(key('admitted', t0), '90', 60_000);
		// Eighty paced successes: eight windows' worth at the refill, which doubles the pace.
		await store.set(key('grown', t0), '80', 60_000);
		expect(paceRate(known, 80)).toBeCloseTo(0.02, 15);
		vi.advanceTimersByTime(9000);
		await window.closeGate(sentAt(t0 + 9000, {cycle: t0}), 1000);
		const after = (await record(store))?.learned;
		expect(after).toMatchObject({admitted: 2, windowMs: 1000, at: t0 + 10_000});
		expect(after?.refill).toBeCloseTo(0.016, 15);
	});
});

describe('the pace of a learned limit', () => {
	it('lets the learned burst through, then holds the next request two intervals, keeping the bucket until the window ends and a while after', async () => {
		const {store, window, ttls, t0} = setUp();
		const limit = await learned(store, {until: 0, cycle: t0, learned: windowOf(1, 1000, t0)});
		expect(await window.takeSlot(t0, limit)).toEqual({kind: 'send', sentAt: t0, cycle: t0, windowMs: 1000, paced: false});
		// One per second learned: paced at two per second beyond the burst.
		expect(await window.takeSlot(t0, limit)).toEqual({kind: 'held', waitMs: 1000, cycle: t0});
		expect(ttls.get(key('paced', t0))).toBe(1000 + cycleMemoryMs);
		expect(await store.get(key('paced', t0))).toBe(`0@${t0 + 500}`);
	});

	it('lets everything through, asking the store nothing, while no limit is learned', () => {
		const {store, window, t0} = setUp();
		const get = vi.spyOn(store, 'get');
		const pace = vi.spyOn(store, 'pace');
		expect(window.takeSlot(t0 + 5, {until: 0, cycle: t0, learned: undefined})).toEqual({kind: 'send', sentAt: t0 + 5, cycle: t0});
		expect(get).not.toHaveBeenCalled();
		expect(pace).not.toHaveBeenCalled();
	});

	it('moves on to the window under way once a learned window has passed without a 429, whole windows at a time, each with a fresh burst', async () => {
		const {store, window, t0} = setUp();
		const limit = await learned(store, {until: 0, cycle: t0, learned: windowOf(1, 1000, t0)});
		expect(await window.takeSlot(t0 + 999, limit)).toMatchObject({kind: 'send', cycle: t0});
		expect(await window.takeSlot(t0 + 1000, limit)).toMatchObject({kind: 'send', cycle: t0 + 1000});
		expect(await window.takeSlot(t0 + 2500, limit)).toMatchObject({kind: 'send', cycle: t0 + 2000});
		expect(await window.takeSlot(t0 + 2500, limit)).toMatchObject({kind: 'held', cycle: t0 + 2000});
	});

	it('paces by the refill once one is known, and the cycle runs on past the window', async () => {
		const {store, window, t0} = setUp();
		const limit = await learned(store, {until: 0, cycle: t0, learned: {admitted: 1, windowMs: 1000, at: t0, refill: 0.004}});
		expect(await window.takeSlot(t0 + 5000, limit)).toMatchObject({kind: 'send', cycle: t0});
		expect(await window.takeSlot(t0 + 5000, limit)).toEqual({kind: 'held', waitMs: 500, cycle: t0});
	});

	it('reads a garbled count of paced successes as none', async () => {
		const {store, window, t0} = setUp();
		const limit = await learned(store, {until: 0, cycle: t0, learned: windowOf(1, 1000, t0)});
		await store.set(key('grown', t0), 'NaN', memoryMs);
		await window.takeSlot(t0, limit);
		expect(await window.takeSlot(t0, limit)).toEqual({kind: 'held', waitMs: 1000, cycle: t0});
	});

	it('paces faster with each request it held that got through in the cycle', async () => {
		const {store, window, t0} = setUp();
		const limit = await learned(store, {until: 0, cycle: t0, learned: windowOf(4, 1000, t0)});
		await store.set(key('grown', t0), '1', memoryMs);
		for (let index = 0; index < 4; index++) {
			await window.takeSlot(t0, limit);
		}

		// Eight per second beyond the burst, times 1 + 8/4 for the one success; two intervals of it (to a
		// microsecond: the bucket keeps its moment in epoch milliseconds).
		expect((await window.takeSlot(t0, limit) as Held).waitMs).toBeCloseTo(2 / 0.024, 3);
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
		await window.count(sentAt(t0, {cycle: undefined, paced: true}));
		expect(add).not.toHaveBeenCalled();
	});

	it('counts a request the pacer held in its cycle as a paced success too, kept as long as the cycle needs it', async () => {
		const {store, window, ttls, t0} = setUp();
		await window.count(sentAt(t0, {paced: true, windowMs: 1000}));
		expect(await store.get(key('admitted', t0))).toBe('1');
		expect(await store.get(key('grown', t0))).toBe('1');
		expect(ttls.get(key('grown', t0))).toBe(1000 + cycleMemoryMs);
	});

	it('counts no paced success for a request the pacer did not hold in its cycle', async () => {
		const {store, window, t0} = setUp();
		await window.count(sentAt(t0, {windowMs: 1000}));
		await window.count(sentAt(t0, {paced: false, windowMs: 1000}));
		expect(await store.get(key('admitted', t0))).toBe('2');
		expect(await store.get(key('grown', t0))).toBeUndefined();
	});
});
