import {describe, expect, it, vi} from 'vitest';
import {useFakeClock} from '../support/clock.js';
import type {Limit} from '../../src/coordination/learning.js';
import {createMemoryStore, type KnoudsStore} from '../../src/coordination/store.js';
import {createWindow, type Held, type Sent} from '../../src/coordination/window.js';

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
		async pace(name, options) {
			writes.push(name);
			return inner.pace(name, options);
		},
	};
	return {store, writes, now: () => Date.now(), advance: (ms: number) => vi.advanceTimersByTime(ms)};
};

// A record that learned a window of `admitted` per `windowMs` (and a refill, if given), whose cycle starts now.
const learnedLimit = async (store: KnoudsStore, now: number, admitted: number, windowMs: number, refill?: number): Promise<Limit> => {
	const limit: Limit = {until: 0, cycle: now, learned: {admitted, windowMs, at: now, refill}};
	await store.set(key('limit'), JSON.stringify(limit), 3_600_000);
	return limit;
};

const takeAll = async (window: ReturnType<typeof createWindow>, now: number, limit: Limit, count: number, heldIn?: number): Promise<Array<Sent | Held>> => {
	const taken: Array<Sent | Held> = [];
	for (let index = 0; index < count; index++) {
		taken.push(await window.takeSlot(now, limit, heldIn));
	}

	return taken;
};

// What each attempt got: sent (and whether paced), or held for so long (to a nanosecond: the level is a float).
const outcomes = (taken: ReadonlyArray<Sent | Held>): string[] => taken.map(slot => slot.kind === 'held' ? `held ${Number(slot.waitMs.toFixed(6))}` : slot.paced === true ? 'paced' : 'sent');

const sentOnly = (slot: Sent | Held): Sent => {
	if (slot.kind !== 'send') {
		throw new Error(`Expected a slot, got ${JSON.stringify(slot)}`);
	}

	return slot;
};

describe('createWindow', () => {
	it('lets the learned burst through at once, then holds the next request two intervals', async () => {
		const {store, now} = recordingStore();
		const window = createWindow(store, key);
		// Two per second learned: paced at four per second beyond the burst, so the third waits half a second.
		const limit = await learnedLimit(store, now(), 2, 1000);
		expect(outcomes(await takeAll(window, now(), limit, 4))).toEqual(['sent', 'sent', 'held 500', 'held 500']);
	});

	it('lets a held request go when its wait is over, in the cycle it was held in, and the one after it an interval later', async () => {
		const {store, now, advance} = recordingStore();
		const window = createWindow(store, key);
		const limit = await learnedLimit(store, now(), 2, 1000);
		const [, , held] = await takeAll(window, now(), limit, 3);
		advance(499);
		expect(outcomes([await window.takeSlot(now(), limit, limit.cycle)])).toEqual(['held 1']);
		advance(1);
		expect(await window.takeSlot(now(), limit, (held as Held).cycle)).toEqual({kind: 'send', sentAt: now(), cycle: limit.cycle, windowMs: 1000, paced: true});
		expect(outcomes([await window.takeSlot(now(), limit, limit.cycle)])).toEqual(['held 250']);
	});

	it('counts a request held by the pacer and then answered as evidence for a faster pace, and one held in an earlier cycle not', async () => {
		const {store, now, advance} = recordingStore();
		const window = createWindow(store, key);
		const limit = await learnedLimit(store, now(), 8, 1000);
		await takeAll(window, now(), limit, 8);
		// Paced at sixteen per second beyond the burst: the ninth waits two intervals.
		expect(outcomes(await takeAll(window, now(), limit, 1))).toEqual(['held 125']);
		advance(125);
		// Held in an earlier cycle: its success says nothing of this cycle's pace.
		const unpaced = sentOnly(await window.takeSlot(now(), limit, limit.cycle - 1000));
		expect(unpaced.paced).toBe(false);
		await window.count(unpaced);
		expect(await store.get(key('grown', limit.cycle))).toBeUndefined();
		expect(outcomes(await takeAll(window, now(), limit, 1))).toEqual(['held 62.5']);
		advance(63);
		// Held in this one: once it got through, the pace doubles, and the next waits a whole interval of it: between a
		// window's bursts the pace holds at most one request, so the 0.008 of a request beyond it was not kept.
		const paced = sentOnly(await window.takeSlot(now(), limit, limit.cycle));
		expect(paced.paced).toBe(true);
		await window.count(paced);
		expect(await store.get(key('grown', limit.cycle))).toBe('1');
		expect(await store.get(key('admitted', limit.cycle))).toBe('2');
		const [next] = await takeAll(window, now(), limit, 1);
		expect(next?.kind).toBe('held');
		expect((next as Held).waitMs).toBeCloseTo(31.25, 9);
	});

	it('never rewrites the record when a paced request gets through, so that it cannot undo a gate another call closed meanwhile', async () => {
		const {store, writes, now, advance} = recordingStore();
		const window = createWindow(store, key);
		const limit = await learnedLimit(store, now(), 2, 1000);
		await takeAll(window, now(), limit, 2);
		advance(500);
		const paced = sentOnly(await window.takeSlot(now(), limit, limit.cycle));
		expect(paced.paced).toBe(true);
		writes.length = 0;
		await window.count(paced);
		expect(writes).not.toContain(key('limit'));
		expect(writes).toContain(key('admitted', limit.cycle));
		expect(writes).toContain(key('grown', limit.cycle));
	});

	it('keeps a gate closed for all of a Retry-After longer than the hour the record is otherwise kept', async () => {
		const {store, now, advance} = recordingStore();
		const window = createWindow(store, key);
		const limit = await window.read(now());
		const [sent] = await takeAll(window, now(), limit, 1);
		await window.closeGate(sentOnly(sent!), 2 * 3_600_000);
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
			async pace(name, options) {
				track(name, options.ttlMs);
				return inner.pace(name, options);
			},
		};
		const window = createWindow(store, key);
		const live = (): number => [...expiries.values()].filter(expiry => expiry > Date.now()).length;
		const liveAt: number[] = [];
		for (let cycle = 0; cycle < 600; cycle++) {
			// Three requests get through, the fourth meets a 429 that asks for 400 ms.
			const sent: Sent[] = [];
			for (let index = 0; index < 4; index++) {
				const slot = await window.takeSlot(Date.now(), await window.read(Date.now()));
				if (slot.kind === 'send') {
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

	it('holds the request after a per-minute burst a window\'s share into the minute, and starts the next minute with a fresh burst', async () => {
		const {store, now, advance} = recordingStore();
		const window = createWindow(store, key);
		const limit = await learnedLimit(store, now(), 3, 60_000);
		expect(outcomes(await takeAll(window, now(), limit, 4))).toEqual(['sent', 'sent', 'sent', 'held 20000']);
		advance(19_999);
		expect(outcomes(await takeAll(window, now(), limit, 1, limit.cycle))).toEqual(['held 1']);
		advance(40_001);
		// The next minute: its own burst, whatever the last one left.
		const next = await takeAll(window, now(), limit, 4);
		expect(outcomes(next)).toEqual(['sent', 'sent', 'sent', 'held 20000']);
		expect(next.map(slot => slot.cycle)).toEqual([limit.cycle + 60_000, limit.cycle + 60_000, limit.cycle + 60_000, limit.cycle + 60_000]);
	});

	it('keeps one cycle, and one bucket, from 429 to 429 once a refill is known: the burst comes back with time, not with each window', async () => {
		const {store, now, advance} = recordingStore();
		const window = createWindow(store, key);
		// Two at once, then one every 100 ms.
		const limit = await learnedLimit(store, now(), 2, 1000, 0.01);
		expect(outcomes(await takeAll(window, now(), limit, 3))).toEqual(['sent', 'sent', 'held 200']);
		advance(5000);
		const later = await takeAll(window, now(), limit, 3);
		expect(outcomes(later)).toEqual(['sent', 'sent', 'held 100']);
		expect(later.map(slot => slot.cycle)).toEqual([limit.cycle, limit.cycle, limit.cycle]);
	});

	it('lets one request at a time into a learned window that sat idle after its burst, not a second burst the window would refuse', async () => {
		const {store, now, advance} = recordingStore();
		const window = createWindow(store, key);
		const limit = await learnedLimit(store, now(), 3, 60_000);
		expect(outcomes(await takeAll(window, now(), limit, 3))).toEqual(['sent', 'sent', 'sent']);
		// Fifty quiet seconds of the minute: time enough to refill three at the pace, but the window is used up.
		advance(50_000);
		expect(outcomes(await takeAll(window, now(), limit, 3))).toEqual(['sent', 'held 10000', 'held 10000']);
	});

	it('lets a refilling limit\'s burst come back after an idle spell, as the server\'s bucket does', async () => {
		const {store, now, advance} = recordingStore();
		const window = createWindow(store, key);
		const limit = await learnedLimit(store, now(), 3, 1000, 0.01);
		expect(outcomes(await takeAll(window, now(), limit, 3))).toEqual(['sent', 'sent', 'sent']);
		advance(5000);
		expect(outcomes(await takeAll(window, now(), limit, 4))).toEqual(['sent', 'sent', 'sent', 'held 100']);
	});

	it('measures a refill from the cycle\'s first answer, not from a later one, so that the pace it learns is the one the server took', async () => {
		const {store, now, advance} = recordingStore();
		const window = createWindow(store, key);
		const limit = await learnedLimit(store, now(), 2, 1000);
		const [first, second] = (await takeAll(window, now(), limit, 2)).map(sentOnly);
		// The burst's answers come back 10 ms in; then eight more get through by 410 ms.
		advance(10);
		await window.count(first!);
		await window.count(second!);
		for (let index = 0; index < 8; index++) {
			advance(50);
			await window.count({kind: 'send', sentAt: now(), cycle: limit.cycle, windowMs: 1000, paced: true});
		}

		await window.closeGate({kind: 'send', sentAt: now(), cycle: limit.cycle, windowMs: 1000, paced: true}, 1000);
		const learned = JSON.parse(await store.get(key('limit')) ?? '{}') as Limit;
		// Eight beyond the burst over the 400 ms from the first answer: 20 per second.
		expect(learned.learned?.refill).toBeCloseTo(8 / 400, 12);
	});
});
