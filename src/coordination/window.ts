import {learn, parseLearned, type Learned} from './learning.js';
import {readNumber, type KnoudsStore} from './store.js';

/** An attempt let through, with the learned window (cycle) it went in and whether it was that window's probe. */
export type Sent = {readonly kind: 'send'; readonly sentAt: number; readonly cycle: number | undefined; readonly probe: boolean};

/** How long what was learned, a cycle's start and its counters are remembered without news. */
export const memoryMs = 3_600_000;

/**
The rate-limit window one API key's calls learn, over a store: a cycle runs from one reopening of the
gate to the next; each lets through what the last one admitted, then one probe.
*/
export const createWindow = (store: KnoudsStore, key: (...parts: ReadonlyArray<string | number>) => string) => {
	const numberAt = async (name: string): Promise<number> => readNumber(store, name);
	const forever = {max: Number.POSITIVE_INFINITY, ttlMs: memoryMs};
	// Keys are built once: every attempt reads them, and a new string would be hashed again for each lookup.
	const [cycleKey, learnedKey, gateKey] = [key('cycle'), key('learned'), key('gate')];
	let last: {readonly cycle: number; readonly slots: string; readonly probe: string; readonly admitted: string} | undefined;
	const keysOf = (cycle: number): NonNullable<typeof last> => {
		if (last?.cycle !== cycle) {
			last = {cycle, slots: key('slots', cycle), probe: key('probe', cycle), admitted: key('admitted', cycle)};
		}

		return last;
	};

	// The cycle a moment belongs to: from the gate's last opening (or the first request), or, once a learned
	// window has passed without a 429, the window that follows, so a quiet spell leaves no used-up window behind.
	const currentCycle = async (now: number, learned: Learned | undefined): Promise<number> => {
		const started = await store.add(cycleKey, 0, {initial: now, ...forever});
		return learned === undefined || now < started + learned.windowMs
			? started
			: started + (Math.floor((now - started) / learned.windowMs) * learned.windowMs);
	};

	// Each cycle lets through what the last one admitted, then one probe: its 429 says when the next window
	// opens, or its success says the window admits more.
	const takeSlot = async (now: number): Promise<Sent | undefined> => {
		const learned = parseLearned(await store.get(learnedKey));
		if (learned === undefined) {
			return {kind: 'send', sentAt: now, cycle: undefined, probe: false};
		}

		const cycle = await currentCycle(now, learned);
		if (await store.take(keysOf(cycle).slots, 1, {initial: learned.admitted, ttlMs: memoryMs})) {
			return {kind: 'send', sentAt: now, cycle, probe: false};
		}

		return await store.take(keysOf(cycle).probe, 1, {initial: 1, ttlMs: memoryMs})
			? {kind: 'send', sentAt: now, cycle, probe: true}
			: undefined;
	};

	async function giveBackProbe(admission: Sent): Promise<void> {
		if (admission.probe && admission.cycle !== undefined) {
			await store.add(keysOf(admission.cycle).probe, 1, {initial: 0, max: 1, ttlMs: memoryMs});
		}
	}

	// The cycle an attempt was sent in: the one its admission took a slot from, else the one of its send time.
	async function cycleOf(admission: Sent): Promise<number> {
		return admission.cycle ?? currentCycle(admission.sentAt, undefined);
	}

	// An admitted request counts for its cycle; a probe that got through widens the window by one, and leaves a new probe.
	async function count(admission: Sent): Promise<void> {
		const cycle = await cycleOf(admission);
		await store.add(keysOf(cycle).admitted, 1, {initial: 0, ...forever});
		if (admission.probe) {
			const learned = parseLearned(await store.get(learnedKey));
			if (learned !== undefined) {
				await store.set(learnedKey, JSON.stringify({...learned, admitted: learned.admitted + 1}), memoryMs);
			}

			await store.add(keysOf(cycle).slots, 1, {initial: 0, ...forever});
			await store.add(keysOf(cycle).probe, 1, {initial: 0, max: 1, ttlMs: memoryMs});
		}
	}

	// Only a 429 to a request sent while the gate was open is news (the others were already in flight): it
	// ends the cycle, whose admitted count over its length is what a window admits.
	async function closeGate(admission: Sent, waitMs: number): Promise<void> {
		const until = Date.now() + waitMs;
		if (await numberAt(gateKey) <= admission.sentAt) {
			const cycle = await cycleOf(admission);
			const learned = learn(cycle, await numberAt(keysOf(cycle).admitted), until);
			if (learned !== undefined) {
				await store.set(learnedKey, JSON.stringify(learned), memoryMs);
			}

			await store.set(cycleKey, String(until), memoryMs);
		}

		await store.set(gateKey, String(until), Math.max(1, waitMs));
	}

	return {
		/** Takes a slot in the current window for an attempt sent now, or the window's probe; `undefined` when both are gone. */
		takeSlot,
		/** Counts an attempt that was admitted (any answer but a 429); a probe that got through widens the window. */
		count,
		/** Ends the cycle on news of a 429 and closes the gate for `waitMs`. */
		closeGate,
		/** Hands back the probe of an attempt whose answer taught nothing. */
		giveBackProbe,
	};
};
