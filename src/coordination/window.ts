import {learn, parseLimit, type Learned, type Limit} from './learning.js';
import type {KnoudsStore} from './store.js';

/**
An attempt let through, with the cycle it went in (none without a gate), the learned window it was let
through by (its `at`; none before one is learned) and whether it was that window's probe.
*/
export type Sent = {readonly kind: 'send'; readonly sentAt: number; readonly cycle: number | undefined; readonly window: number | undefined; readonly probe: boolean; readonly windowMs?: number | undefined};

/** How long the record (and the widening of a learned window) is remembered without news. */
export const memoryMs = 3_600_000;

/** The least a cycle's counters are kept after their last change: longer than an answer takes to come back. */
export const cycleMemoryMs = 10_000;

/**
How long a cycle's counters are kept after a change at `now`: twice the cycle's age so far, and past the
end of its learned window, if one is known, by `cycleMemoryMs`; at least `cycleMemoryMs`, at most
`memoryMs`. A counter is read only while its cycle runs (a window's slots, until the window ends) and by
the 429 that ends it, so short cycles (a sub-second Retry-After) leave nothing behind for long, while a
per-minute window keeps its slots for all of its minute.
*/
export const cycleTtl = (now: number, cycle: number, windowMs?: number): number =>
	Math.min(memoryMs, Math.max(cycleMemoryMs, 2 * (now - cycle), windowMs === undefined ? 0 : cycle + windowMs - now + cycleMemoryMs));

const counter = (ttlMs: number, max = Number.POSITIVE_INFINITY) => ({initial: 0, max, ttlMs});

/**
The rate-limit window a client's calls learn, over a store. One record holds the gate, the current
cycle and the window learned, so that an attempt needs one read to know it may go. A cycle runs from
one reopening of the gate to the next; each lets through what the last one admitted, then one probe.
The first cycle starts with the first request, and a new one an hour after the last news.
*/
export const createWindow = (store: KnoudsStore, key: (...parts: ReadonlyArray<string | number>) => string) => {
	// Keys are built once: every attempt uses them, and a new string would be hashed again for each lookup.
	const limitKey = key('limit');
	let last: {readonly cycle: number; readonly slots: string; readonly probe: string; readonly admitted: string} | undefined;
	const keysOf = (cycle: number): NonNullable<typeof last> => {
		if (last?.cycle !== cycle) {
			last = {cycle, slots: key('slots', cycle), probe: key('probe', cycle), admitted: key('admitted', cycle)};
		}

		return last;
	};

	// Kept for an hour without news, and always until its gate opens, however long a Retry-After asks for.
	const write = async (limit: Limit): Promise<void> => store.set(limitKey, JSON.stringify(limit), Math.max(memoryMs, limit.until - Date.now()));
	// With no record (the first request, or an hour without news), a cycle starts now.
	const read = async (now: number): Promise<Limit> => {
		const limit = parseLimit(await store.get(limitKey));
		if (limit !== undefined) {
			return limit;
		}

		const fresh = {until: 0, cycle: now, learned: undefined};
		await write(fresh);
		return fresh;
	};

	// The cycle a moment belongs to: from the gate's last opening, or, once a learned window has passed
	// without a 429, the window that follows, so that a quiet spell leaves no used-up window behind.
	const cycleAt = (now: number, {cycle, learned}: Limit): number => learned === undefined || now < cycle + learned.windowMs
		? cycle
		: cycle + (Math.floor((now - cycle) / learned.windowMs) * learned.windowMs);

	// A learned window lets through what it admitted, plus one for each probe that got through since (kept
	// apart, in a counter of its own, so that widening never rewrites the record), then one probe: its 429
	// says when the next window opens, or its success says the window admits more.
	const takeLearned = async (now: number, cycle: number, learned: Learned): Promise<Sent | undefined> => {
		const widened = Number(await store.get(key('widened', learned.at)) ?? 0);
		const initial = learned.admitted + (Number.isFinite(widened) ? widened : 0);
		const ttlMs = cycleTtl(now, cycle, learned.windowMs);
		if (await store.take(keysOf(cycle).slots, 1, {initial, ttlMs})) {
			return {kind: 'send', sentAt: now, cycle, window: learned.at, probe: false, windowMs: learned.windowMs};
		}

		return await store.take(keysOf(cycle).probe, 1, {initial: 1, ttlMs})
			? {kind: 'send', sentAt: now, cycle, window: learned.at, probe: true, windowMs: learned.windowMs}
			: undefined;
	};

	return {
		/** What the client knows of its limit at `now`, in one read. */
		read,

		/**
		Takes a slot for an attempt sent now through an open gate, or the window's probe; `undefined` when
		both are gone. Without a learned window there is nothing to take, and no store is asked.
		*/
		takeSlot(now: number, limit: Limit): Sent | Promise<Sent | undefined> {
			const cycle = cycleAt(now, limit);
			return limit.learned === undefined ? {kind: 'send', sentAt: now, cycle, window: undefined, probe: false} : takeLearned(now, cycle, limit.learned);
		},

		/** Counts an attempt that was admitted (any answer but a 429); a probe that got through widens the window. */
		async count(admission: Sent): Promise<void> {
			if (admission.cycle === undefined) {
				return;
			}

			const keys = keysOf(admission.cycle);
			const ttlMs = cycleTtl(Date.now(), admission.cycle, admission.windowMs);
			await store.add(keys.admitted, 1, counter(ttlMs));
			if (admission.probe && admission.window !== undefined) {
				// Widening belongs to the learned window, which outlives its cycles: kept as long as the record.
				await store.add(key('widened', admission.window), 1, counter(memoryMs));
				await store.add(keys.slots, 1, counter(ttlMs));
				await store.add(keys.probe, 1, counter(ttlMs, 1));
			}
		},

		/**
		Closes the gate for `waitMs` on a 429 (the latest wins). Only a 429 to a request sent while the gate
		was open is news (the others were already in flight): it ends the cycle, whose admitted count over its
		length is what a window admits, and the next cycle starts when the gate reopens.
		*/
		async closeGate(admission: Sent, waitMs: number): Promise<void> {
			const now = Date.now();
			const until = now + waitMs;
			const limit = await read(now);
			if (limit.until > admission.sentAt || admission.cycle === undefined) {
				await write({...limit, until});
				return;
			}

			const admitted = Number(await store.get(keysOf(admission.cycle).admitted) ?? 0);
			await write({until, cycle: until, learned: learn(admission.cycle, Number.isFinite(admitted) ? admitted : 0, until) ?? limit.learned});
		},

		/** Hands back the probe of an attempt whose answer taught nothing. */
		async giveBackProbe(admission: Sent): Promise<void> {
			if (admission.probe && admission.cycle !== undefined) {
				await store.add(keysOf(admission.cycle).probe, 1, counter(cycleTtl(Date.now(), admission.cycle, admission.windowMs), 1));
			}
		},
	};
};
