import type {KnoudsStore, StoreAnswer, StoreOp} from './store.js';

type Entry = {value: string; expires: number};

/**
A `pace` bucket at `now`: its level, what `value` (`"level@moment"`) held plus one request for each
`intervalMs` after its moment, up to `max` (a level already above it stays), and the moment it refills
from. `burst`, refilling from one interval after now, when `value` is absent or unreadable.
*/
const paceLevel = (value: string | undefined, {burst, max = burst, intervalMs}: {readonly burst: number; readonly max?: number | undefined; readonly intervalMs: number}, now: number): {readonly level: number; readonly moment: number} => {
	const [level, moment] = (value ?? '').split('@').map(Number);
	if (level === undefined || moment === undefined || !Number.isFinite(level) || !Number.isFinite(moment)) {
		return {level: burst, moment: now + intervalMs};
	}

	return {level: Math.max(level, Math.min(max, level + (Math.max(0, now - moment) / intervalMs))), moment};
};

// The stores createMemoryStore() made: they answer at once, so nothing needs to bound their steps.
const memoryStores = new WeakSet<KnoudsStore>();

/** Whether a store is one of `createMemoryStore()`'s. */
export const isMemoryStore = (store: KnoudsStore): boolean => memoryStores.has(store);

// Expired entries go when read, and in a sweep every so many writes, so that a long-lived client's
// memory stays flat however many keys it has used.
const sweepEvery = 1000;

/**
An in-memory `KnoudsStore`: the default, one per client. Its steps are atomic because each runs to
completion on one thread.

@param clock - The store's clock, in epoch milliseconds: `Date.now()` as it is at each step, so that
fake timers installed after the store was made are its clock too.
@default () => Date.now()
*/
export const createMemoryStore = (clock: () => number = () => Date.now()): KnoudsStore => {
	const entries = new Map<string, Entry>();
	let writes = 0;
	const read = (key: string, now: number): string | undefined => {
		const entry = entries.get(key);
		if (entry !== undefined && entry.expires <= now) {
			entries.delete(key);
			return undefined;
		}

		return entry?.value;
	};

	const write = (key: string, value: string, ttlMs: number, now: number): void => {
		entries.set(key, {value, expires: now + ttlMs});
		if (++writes % sweepEvery === 0) {
			for (const [name, entry] of entries) {
				if (entry.expires <= now) {
					entries.delete(name);
				}
			}
		}
	};

	// Anything but a finite number (a blank or garbled value) reads as absent, as `Number('')` would not.
	const number = (key: string, initial: number, now: number): number => {
		const text = read(key, now);
		const value = text === undefined || text.trim() === '' ? Number.NaN : Number(text);
		return Number.isFinite(value) ? value : initial;
	};

	// One operation at `now`: its result, and whether it stops the step.
	const apply = (op: StoreOp, now: number): [result: string | number | undefined, stop: boolean] => {
		switch (op.op) {
			case 'get': {
				return [read(op.key, now), false];
			}

			case 'set': {
				write(op.key, op.value, op.ttlMs, now);
				return [undefined, false];
			}

			case 'setUntil': {
				const until = Math.max(op.until, number(op.key, op.until, now));
				write(op.key, String(until), until - now, now);
				return [undefined, false];
			}

			case 'init': {
				const value = read(op.key, now);
				if (value !== undefined) {
					return [value, false];
				}

				write(op.key, op.value, op.ttlMs, now);
				return [op.value, false];
			}

			case 'stamp': {
				const value = read(op.key, now) ?? String(now);
				write(op.key, value, op.ttlMs, now);
				return [value, false];
			}

			case 'add': {
				const value = Math.min(op.max, number(op.key, op.initial, now) + op.delta);
				write(op.key, String(value), op.ttlMs, now);
				return [value, false];
			}

			case 'take': {
				const value = number(op.key, op.initial, now);
				if (value < op.amount) {
					return [0, false];
				}

				write(op.key, String(value - op.amount), op.ttlMs, now);
				return [1, false];
			}

			case 'reserve': {
				const slot = Math.max(now, number(op.key, now, now));
				write(op.key, String(slot + op.intervalMs), op.ttlMs, now);
				return [slot - now, slot > now];
			}

			case 'pace': {
				const {level, moment} = paceLevel(read(op.key, now), op, now);
				if (level < 1) {
					const wait = Math.max(moment - now, 0) + ((1 - level) * op.intervalMs);
					return [wait, true];
				}

				write(op.key, `${level - 1}@${Math.max(moment, now)}`, op.ttlMs, now);
				return [0, false];
			}

			case 'absent': {
				const value = read(op.key, now);
				return [value, value !== undefined];
			}

			case 'expect': {
				const value = read(op.key, now);
				return [value, value !== op.value];
			}
		}
	};

	const store: KnoudsStore = {
		// A settled promise, not an async function: every attempt runs a step or two.
		run(ops) {
			const now = clock();
			const results: Array<string | number | undefined> = [];
			for (const op of ops) {
				const [result, stop] = apply(op, now);
				results.push(result);
				if (stop) {
					return Promise.resolve<StoreAnswer>({now, results, stopped: true});
				}
			}

			return Promise.resolve<StoreAnswer>({now, results, stopped: false});
		},
	};
	memoryStores.add(store);
	return store;
};
