import {learn, parseLimit, type Learned, type Limit} from './learning.js';
import {paceRate} from './rate.js';
import type {KnoudsStore} from './store.js';

/**
An attempt let through: when, in which cycle (none before a limit is learned), the learned window's length
(which sets how long the cycle's counters are kept), and whether it waited for the pacer (then its success
is evidence that the pace it went at is one the server takes).
*/
export type Sent = {readonly kind: 'send'; readonly sentAt: number; readonly cycle: number | undefined; readonly windowMs?: number | undefined; readonly paced?: boolean};

/** An attempt the pacer holds in `cycle`: it may go `waitMs` from now, if nothing has changed by then. */
export type Held = {readonly kind: 'held'; readonly waitMs: number; readonly cycle: number};

/** How long the record is remembered without news. */
export const memoryMs = 3_600_000;

/** The least a cycle's counters are kept after their last change: longer than an answer takes to come back. */
export const cycleMemoryMs = 10_000;

/**
How long a cycle's counters are kept after a change at `now`: twice the cycle's age so far, and past the
end of its learned window, if one is known, by `cycleMemoryMs`; at least `cycleMemoryMs`, at most
`memoryMs`. A counter is read only while its cycle runs and by the 429 that ends it, so short cycles (a
sub-second Retry-After) leave nothing behind for long, while a per-minute window keeps its count for all
of its minute.
*/
export const cycleTtl = (now: number, cycle: number, windowMs?: number): number =>
	Math.min(memoryMs, Math.max(cycleMemoryMs, 2 * (now - cycle), windowMs === undefined ? 0 : cycle + windowMs - now + cycleMemoryMs));

const counter = (ttlMs: number) => ({initial: 0, max: Number.POSITIVE_INFINITY, ttlMs});

const count = (text: string | undefined): number => {
	const value = Number(text ?? 0);
	return Number.isFinite(value) ? value : 0;
};

/**
The rate limit a client's calls learn, over a store. One record holds the gate, the current cycle and
what was learned, so that an attempt needs one read to know whether the gate is open. A cycle runs from
one reopening of the gate to the next; in each, the pacer lets the learned burst through at once, then
paces the rest (see `paceRate`). Each cycle counts what the server admitted, and the 429 that ends it
teaches from that count (see `learn`). The first cycle starts with the first request, and a new one an
hour after the last news.
*/
export const createWindow = (store: KnoudsStore, key: (...parts: ReadonlyArray<string | number>) => string) => {
	// Keys are built once: every attempt uses them, and a new string would be hashed again for each lookup.
	const limitKey = key('limit');
	let last: {readonly cycle: number; readonly pace: string; readonly admitted: string; readonly grown: string; readonly first: string} | undefined;
	const keysOf = (cycle: number): NonNullable<typeof last> => {
		if (last?.cycle !== cycle) {
			last = {cycle, pace: key('paced', cycle), admitted: key('admitted', cycle), grown: key('grown', cycle), first: key('first', cycle)};
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

	// The cycle a moment belongs to: from the gate's last opening, or, while the limit looks like a window,
	// once a learned window has passed without a 429, the window that follows, so that a quiet spell leaves
	// no used-up window behind. With a refill learned, a cycle lasts until the next 429: the pacer's burst
	// comes back as the server's does, with time.
	const cycleAt = (now: number, {cycle, learned}: Limit): number => learned === undefined || learned.refill !== undefined || now < cycle + learned.windowMs
		? cycle
		: cycle + (Math.floor((now - cycle) / learned.windowMs) * learned.windowMs);

	const rateOf = async (now: number, cycle: number, learned: Learned): Promise<number> => paceRate(learned, count(await store.get(keysOf(cycle).grown)), now - cycle);

	const takeLearned = async (now: number, cycle: number, learned: Learned, heldIn: number | undefined): Promise<Sent | Held> => {
		const intervalMs = 1 / await rateOf(now, cycle, learned);
		// A window's burst comes once per cycle (a new cycle brings the next): in between the pace lets one request
		// at a time through, however long it sat idle, since a window that was used up stays so. A refilling
		// server's bucket fills again while the client is idle, and so does the pace's.
		const max = learned.refill === undefined ? 1 : learned.admitted;
		const waitMs = await store.pace(keysOf(cycle).pace, {intervalMs, burst: learned.admitted, max, now, ttlMs: cycleTtl(now, cycle, learned.windowMs)});
		// Only a hold in this cycle says the pace was tested: one held in an earlier cycle goes in this one's burst.
		return waitMs > 0 ? {kind: 'held', waitMs, cycle} : {kind: 'send', sentAt: now, cycle, windowMs: learned.windowMs, paced: heldIn === cycle};
	};

	return {
		/** What the client knows of its limit at `now`, in one read. */
		read,

		/**
		Lets an attempt go now through an open gate, or says how long the pacer holds it. `heldIn` is the
		cycle in which the pacer last held it, if it did. Without a learned limit there is nothing to pace,
		and no store is asked.
		*/
		takeSlot(now: number, limit: Limit, heldIn?: number): Sent | Promise<Sent | Held> {
			const cycle = cycleAt(now, limit);
			return limit.learned === undefined ? {kind: 'send', sentAt: now, cycle} : takeLearned(now, cycle, limit.learned, heldIn);
		},

		/** Counts an attempt that was admitted (any answer but a 429), and, if the pacer held it, as evidence for a faster pace. */
		async count(admission: Sent): Promise<void> {
			if (admission.cycle === undefined) {
				return;
			}

			const keys = keysOf(admission.cycle);
			const ttlMs = cycleTtl(Date.now(), admission.cycle, admission.windowMs);
			const admitted = await store.add(keys.admitted, 1, counter(ttlMs));
			// When the cycle's first answer came, once a limit is learned: the refill a 429 measures runs from
			// there, since an answer and the 429 both took the way back, and the burst's way out is not counted.
			if (admitted === 1 && admission.windowMs !== undefined) {
				await store.set(keys.first, String(Date.now()), ttlMs);
			}

			if (admission.paced === true) {
				await store.add(keys.grown, 1, counter(ttlMs));
			}
		},

		/**
		Closes the gate for `waitMs` on a 429 (the latest wins). Only a 429 to a request sent while the gate
		was open is news (the others were already in flight): it ends the cycle, which teaches what the
		server admits, and the next cycle starts when the gate reopens.
		*/
		async closeGate(admission: Sent, waitMs: number): Promise<void> {
			const now = Date.now();
			const until = now + waitMs;
			const limit = await read(now);
			if (limit.until > admission.sentAt || admission.cycle === undefined) {
				await write({...limit, until});
				return;
			}

			const keys = keysOf(admission.cycle);
			const admitted = count(await store.get(keys.admitted));
			const first = Number(await store.get(keys.first));
			const rateAtEnd = limit.learned?.refill === undefined ? undefined : await rateOf(now, admission.cycle, limit.learned);
			await write({until, cycle: until, learned: learn(limit.learned, {start: admission.cycle, admitted, endedAt: now, until, rateAtEnd, firstAnswerAt: Number.isFinite(first) ? first : undefined})});
		},
	};
};
