import {describe, expect, it, vi} from 'vitest';
import {parseLimit, type Limit} from '../../src/coordination/learning.js';
import {createMemoryStore} from '../../src/coordination/memory-store.js';
import {paceRate} from '../../src/coordination/rate.js';
import type {StoreAnswer, StoreOp} from '../../src/coordination/store.js';
import {createWindow, cycleMemoryMs, cycleTtl, memoryMs, type Sent} from '../../src/coordination/window.js';
import {useFakeClock} from '../support/clock.js';
import {primitives} from '../support/store-ops.js';
import {windowKey as key, windowSteps} from '../support/window-steps.js';

// The learned limit's rules, one at a time: what it lets through, what a 429 teaches, what an answer
// counts, and how long each thing is kept in a store that many processes may share.

/** A window over a memory store on the fake clock, driven as the coordinator drives it, with the time-to-live of every write it asked for, by key. */
const setUp = () => {
	const steps = windowSteps();
	const ttls = (): Map<string, number> => new Map(steps.ops.flatMap(op => 'ttlMs' in op ? [[op.key, op.ttlMs] as const] : []));
	return {...steps, ttls};
};

type Store = ReturnType<typeof setUp>['store'];

const record = async (store: Store): Promise<Limit | undefined> => parseLimit(await store.get(key('limit')));

const learned = async (store: Store, limit: Limit): Promise<Limit> => {
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
		const {store, take, ttls, ops, advance, t0} = setUp();
		expect(await take()).toEqual({kind: 'send', sentAt: t0, cycle: t0});
		expect(await record(store)).toEqual({until: 0, cycle: t0, learned: undefined});
		expect(ttls().get(key('limit'))).toBe(memoryMs);
		// Read again, it is the same cycle: nothing is rewritten.
		ops.length = 0;
		advance(5000);
		expect(await take()).toEqual({kind: 'send', sentAt: t0 + 5000, cycle: t0});
		expect(ops.filter(op => op.key === key('limit'))).toEqual([{op: 'expect', key: key('limit'), value: JSON.stringify({until: 0, cycle: t0})}]);
	});

	it('keeps a record another process wrote first, starting no cycle of its own', async () => {
		const {store, take, advance, t0} = setUp();
		await learned(store, {until: 0, cycle: t0, learned: undefined});
		advance(3000);
		expect(await take()).toEqual({kind: 'send', sentAt: t0 + 3000, cycle: t0});
		expect(await record(store)).toEqual({until: 0, cycle: t0, learned: undefined});
	});

	it('takes up a record another process rewrote since this one last saw it, in one step more', async () => {
		const {store, take, steps, t0} = setUp();
		await take();
		await learned(store, {until: 0, cycle: t0, learned: windowOf(1, 1000, t0)});
		const before = steps.length;
		expect(await take()).toEqual({kind: 'send', sentAt: t0, cycle: t0, windowMs: 1000, paced: false});
		expect(steps.length - before).toBe(2);
		// Paced by it from then on, in one step.
		expect(await take()).toEqual({kind: 'held', waitMs: 500, cycle: t0});
		expect(steps.length - before).toBe(3);
	});

	it('writes a fresh record over one that is garbled, and starts a cycle', async () => {
		const {store, take, advance, t0} = setUp();
		await store.set(key('limit'), '{"until":', memoryMs);
		advance(100);
		expect(await take()).toEqual({kind: 'send', sentAt: t0 + 100, cycle: t0 + 100});
		expect(await record(store)).toEqual({until: 0, cycle: t0 + 100, learned: undefined});
	});

	it('keeps a gate closed longer than an hour for all of its wait, and what was learned an hour past it', async () => {
		const {store, take, ttls, expiries, closeGate, t0} = setUp();
		const {cycle} = await take() as Sent;
		await closeGate(sentAt(t0, {cycle}), 2 * memoryMs);
		expect(ttls().get(key('limit'))).toBe(3 * memoryMs);
		expect(expiries.get(key('gate'))).toBe(t0 + (2 * memoryMs));
		// A later 429 that asks for less cuts none of that wait short: another 429 announced it.
		await closeGate(sentAt(t0, {cycle}), 5000);
		expect(ttls().get(key('limit'))).toBe(3 * memoryMs);
		expect(await store.get(key('gate'))).toBe(String(t0 + (2 * memoryMs)));
	});

	it('keeps a record that asks for less than an hour an hour, past its gate', async () => {
		const {take, ttls, closeGate, t0} = setUp();
		const {cycle} = await take() as Sent;
		await closeGate(sentAt(t0, {cycle}), 5000);
		expect(ttls().get(key('limit'))).toBe(memoryMs + 5000);
	});
});

describe('a 429 that closes the gate', () => {
	it('learns from a 429 to a request sent while the gate was open: the cycle admitted so many in so long', async () => {
		const {store, takeAll, count, closeGate, advance, t0} = setUp();
		const slots = await takeAll(3) as Sent[];
		await count(slots[0]!);
		await count(slots[1]!);
		advance(2000);
		await closeGate(slots[2]!, 8000);
		expect(await record(store)).toEqual({until: t0 + 10_000, cycle: t0 + 10_000, learned: {admitted: 2, windowMs: 10_000, at: t0 + 10_000, refill: undefined}});
		expect(await store.get(key('gate'))).toBe(String(t0 + 10_000));
	});

	it('only moves the gate for a 429 to a request sent while it was already closed: that request was in flight, and is no news', async () => {
		const {store, take, count, closeGate, t0} = setUp();
		const first = await take() as Sent;
		const second = await take() as Sent;
		await count(first);
		await closeGate(first, 5000);
		const afterFirst = await record(store);
		await closeGate(second, 9000);
		expect(await record(store)).toEqual({...afterFirst, until: t0 + 9000});
		expect(await store.get(key('gate'))).toBe(String(t0 + 9000));
	});

	it('learns nothing from a 429 to a request sent without a cycle, and only closes the gate', async () => {
		const {store, take, closeGate, t0} = setUp();
		await take();
		await closeGate(sentAt(t0, {cycle: undefined}), 4000);
		expect(await record(store)).toEqual({until: t0 + 4000, cycle: t0, learned: undefined});
		expect(await store.get(key('gate'))).toBe(String(t0 + 4000));
	});

	it('keeps what it learned before when a cycle admitted nothing, or its count in the store is garbled', async () => {
		const {store, closeGate, advance, t0} = setUp();
		const before = windowOf(3, 1000, t0);
		await learned(store, {until: 0, cycle: t0, learned: before});
		await closeGate(sentAt(t0), 2000);
		expect((await record(store))?.learned).toEqual(before);
		advance(2000);
		const now = Date.now();
		await learned(store, {until: 0, cycle: now, learned: before});
		await store.set(key('admitted', now), 'garbage', 60_000);
		await closeGate(sentAt(now), 1000);
		expect((await record(store))?.learned).toEqual(before);
	});

	it('learns a refill from a cycle that let more through than the burst: the rate at which the rest got through', async () => {
		const {store, count, closeGate, advance, t0} = setUp();
		await learned(store, {until: 0, cycle: t0, learned: windowOf(2, 1000, t0)});
		for (let index = 0; index < 12; index++) {
			await count(sentAt(t0));
		}

		advance(2000);
		await closeGate(sentAt(t0 + 1900, {cycle: t0}), 500);
		// Ten beyond the burst of two, in the two seconds until the 429.
		expect(await record(store)).toEqual({until: t0 + 2500, cycle: t0 + 2500, learned: {admitted: 2, windowMs: 1000, at: t0 + 2500, refill: 0.005}});
	});

	it('learns, once a refill is known, a refill a fifth below the pace the pacer had reached when the server said no', async () => {
		const {store, closeGate, advance, t0} = setUp();
		const known = {admitted: 2, windowMs: 1000, at: t0, refill: 0.01};
		await learned(store, {until: 0, cycle: t0, learned: known});
		await store.set(key('admitted', t0), '90', 60_000);
		// Eighty paced successes: eight windows' worth at the refill, which doubles the pace.
		await store.set(key('grown', t0), '80', 60_000);
		expect(paceRate(known, 80)).toBeCloseTo(0.02, 15);
		advance(9000);
		await closeGate(sentAt(t0 + 9000, {cycle: t0}), 1000);
		const after = (await record(store))?.learned;
		expect(after).toMatchObject({admitted: 2, windowMs: 1000, at: t0 + 10_000});
		expect(after?.refill).toBeCloseTo(0.016, 15);
	});

	it('learns from a record another process rewrote meanwhile, not over it: it reads the record again and tries once more', async () => {
		useFakeClock();
		const memory = createMemoryStore();
		const store = primitives(memory);
		const t0 = Date.now();
		const window = createWindow(key);
		await store.set(key('admitted', t0), '2', 60_000);
		await store.set(key('limit'), JSON.stringify({until: 0, cycle: t0}), memoryMs);
		// Between this process's read of the record and its write, another one closes the gate for its own 429 once.
		let raced = false;
		const run = async (ops: readonly StoreOp[]): Promise<StoreAnswer> => {
			if (!raced && ops[0]?.op === 'expect') {
				raced = true;
				await store.set(key('limit'), JSON.stringify({until: t0 + 3000, cycle: t0}), memoryMs);
			}

			return memory.run(ops);
		};

		vi.advanceTimersByTime(1000);
		await window.closeGate(run, sentAt(t0), 1000, Date.now);
		// The other's 429 closed the gate first: this one's request, sent before that, is no news, and moves
		// the gate no earlier than the other's end.
		expect(await record(store)).toEqual({until: t0 + 3000, cycle: t0, learned: undefined});
		expect(await store.get(key('gate'))).toBe(String(t0 + 2000));
	});

	it('closes the gate without the lesson when the record keeps changing under it', async () => {
		useFakeClock();
		const memory = createMemoryStore();
		const store = primitives(memory);
		const t0 = Date.now();
		const window = createWindow(key);
		await store.set(key('admitted', t0), '2', 60_000);
		let rewrites = 0;
		const run = async (ops: readonly StoreOp[]): Promise<StoreAnswer> => {
			if (ops[0]?.op === 'expect') {
				rewrites++;
				await store.set(key('limit'), JSON.stringify({until: 0, cycle: t0 + rewrites}), memoryMs);
			}

			return memory.run(ops);
		};

		vi.advanceTimersByTime(1000);
		await window.closeGate(run, sentAt(t0), 5000, Date.now);
		expect(rewrites).toBe(3);
		expect(await record(store)).toEqual({until: 0, cycle: t0 + 3, learned: undefined});
		expect(await store.get(key('gate'))).toBe(String(t0 + 6000));
	});
});

describe('the pace of a learned limit', () => {
	it('lets the learned burst through, then holds the next request two intervals, keeping the bucket until the window ends and a while after', async () => {
		const {store, take, ttls, t0} = setUp();
		await learned(store, {until: 0, cycle: t0, learned: windowOf(1, 1000, t0)});
		expect(await take()).toEqual({kind: 'send', sentAt: t0, cycle: t0, windowMs: 1000, paced: false});
		// One per second learned: paced as a burst of two would be, at four per second beyond the burst, so
		// that the request after a burst of one is tried within the window, not at its end.
		expect(await take()).toEqual({kind: 'held', waitMs: 500, cycle: t0});
		expect(ttls().get(key('paced', t0))).toBe(1000 + cycleMemoryMs);
		expect(await store.get(key('paced', t0))).toBe(`0@${t0 + 250}`);
	});

	it('lets everything through, pacing nothing, while no limit is learned: the step only looks at the gate and the record', async () => {
		const {store, take, ops, advance, t0} = setUp();
		await learned(store, {until: 0, cycle: t0, learned: undefined});
		await take();
		ops.length = 0;
		advance(5);
		expect(await take()).toEqual({kind: 'send', sentAt: t0 + 5, cycle: t0});
		expect(ops.map(op => op.op)).toEqual(['absent', 'expect']);
	});

	it('moves on to the window under way once a learned window has passed without a 429, whole windows at a time, each with a fresh burst', async () => {
		const {store, take, advance, t0} = setUp();
		await learned(store, {until: 0, cycle: t0, learned: windowOf(1, 1000, t0)});
		advance(999);
		expect(await take()).toMatchObject({kind: 'send', cycle: t0});
		advance(1);
		expect(await take()).toMatchObject({kind: 'send', cycle: t0 + 1000});
		advance(1500);
		expect(await take()).toMatchObject({kind: 'send', cycle: t0 + 2000});
		expect(await take()).toMatchObject({kind: 'held', cycle: t0 + 2000});
	});

	it('paces by the refill once one is known, and the cycle runs on past the window', async () => {
		const {store, take, advance, t0} = setUp();
		await learned(store, {until: 0, cycle: t0, learned: {admitted: 1, windowMs: 1000, at: t0, refill: 0.004}});
		advance(5000);
		expect(await take()).toMatchObject({kind: 'send', cycle: t0});
		expect(await take()).toEqual({kind: 'held', waitMs: 500, cycle: t0});
	});

	it('reads a garbled count of paced successes as none', async () => {
		const {store, take, t0} = setUp();
		await learned(store, {until: 0, cycle: t0, learned: windowOf(1, 1000, t0)});
		await store.set(key('grown', t0), 'NaN', memoryMs);
		await take();
		expect(await take()).toEqual({kind: 'held', waitMs: 500, cycle: t0});
	});

	it('paces faster with each request it held that got through in the cycle', async () => {
		const {store, take, takeAll, ops, t0} = setUp();
		await learned(store, {until: 0, cycle: t0, learned: windowOf(4, 1000, t0)});
		await takeAll(4);
		// The burst went at eight per second beyond it: the bucket refills from 125 ms in.
		expect(await store.get(key('paced', t0))).toBe(`0@${t0 + 125}`);
		// Another process's request, held by the pace, got through: each step reads the count for the next.
		await store.set(key('grown', t0), '1', memoryMs);
		await take();
		ops.length = 0;
		const held = await take();
		// Eight per second beyond the burst, times 1 + 8/4 for the one success: one interval of it past the
		// moment the bucket refills from (to a microsecond: the bucket keeps its moment in epoch milliseconds).
		const pace = ops.find(op => op.op === 'pace');
		expect(pace?.op === 'pace' && pace.intervalMs).toBeCloseTo(1 / 0.024, 9);
		expect(held.kind).toBe('held');
		expect(held.kind === 'held' && held.waitMs).toBeCloseTo(125 + (1 / 0.024), 3);
	});
});

describe('what an answered attempt counts', () => {
	it('counts an admitted request for its cycle, kept as long as the cycle needs it', async () => {
		const {store, count, ttls, t0} = setUp();
		await count(sentAt(t0));
		await count(sentAt(t0));
		expect(await store.get(key('admitted', t0))).toBe('2');
		expect(ttls().get(key('admitted', t0))).toBe(cycleMemoryMs);
	});

	it('counts nothing for a request sent without a cycle, and asks the store nothing', () => {
		const {window, t0} = setUp();
		expect(window.countOps(sentAt(t0, {cycle: undefined, paced: true, windowMs: 1000}), t0)).toEqual([]);
	});

	it('counts a request the pacer held in its cycle as a paced success too, kept as long as the cycle needs it', async () => {
		const {store, count, ttls, t0} = setUp();
		await count(sentAt(t0, {paced: true, windowMs: 1000}));
		expect(await store.get(key('admitted', t0))).toBe('1');
		expect(await store.get(key('grown', t0))).toBe('1');
		expect(ttls().get(key('grown', t0))).toBe(1000 + cycleMemoryMs);
	});

	it('counts no paced success for a request the pacer did not hold in its cycle', async () => {
		const {store, count, t0} = setUp();
		await count(sentAt(t0, {windowMs: 1000}));
		await count(sentAt(t0, {paced: false, windowMs: 1000}));
		expect(await store.get(key('admitted', t0))).toBe('2');
		expect(await store.get(key('grown', t0))).toBeUndefined();
	});

	it('keeps when the cycle\'s first answer came, once a limit is learned, and not a later one', async () => {
		const {store, count, advance, ttls, t0} = setUp();
		advance(10);
		await count(sentAt(t0, {windowMs: 1000}));
		advance(40);
		await count(sentAt(t0, {windowMs: 1000}));
		expect(await store.get(key('first', t0))).toBe(String(t0 + 10));
		expect(ttls().get(key('first', t0))).toBe(1000 - 50 + cycleMemoryMs);
	});

	it('keeps no first answer while no limit is learned', async () => {
		const {store, count, t0} = setUp();
		await count(sentAt(t0));
		expect(await store.get(key('first', t0))).toBeUndefined();
	});
});
