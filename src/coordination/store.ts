/**
Where a client keeps the state its calls share: the Retry-After gate, what it learned of the rate
limit, the retry budget, the pacer's next slot and latched errors.

Every method is one atomic step with an expiry, so that a store shared by many processes (Redis, say,
with a short Lua script per method) never loses an update to a read-modify-write race. Values are
strings or numbers; a missing or expired key reads as absent. `ttlMs` may be `Infinity` (no expiry).
*/
export type KnoudsStore = {
	/** The string at `key`, or `undefined`. */
	get(key: string): Promise<string | undefined>;
	/** Sets `key` to `value` for `ttlMs`. */
	set(key: string, value: string, ttlMs: number): Promise<void>;
	/**
	Adds `delta` to the number at `key` (`initial` when absent), clamps it to `max`, stores it for
	`ttlMs` and returns it.
	*/
	add(key: string, delta: number, options: {readonly initial: number; readonly max: number; readonly ttlMs: number}): Promise<number>;
	/**
	Takes `amount` from the number at `key` (`initial` when absent) if it holds at least that much,
	and says whether it did. Stores the result for `ttlMs`.
	*/
	take(key: string, amount: number, options: {readonly initial: number; readonly ttlMs: number}): Promise<boolean>;
	/**
	Reserves the next slot of a pacer: returns `max(now, next)` where `next` is the number at `key`,
	and stores that slot plus `intervalMs` as the new `next`, for `ttlMs`.
	*/
	reserve(key: string, intervalMs: number, now: number, ttlMs: number): Promise<number>;
	/**
	Admits one request at `now` from a token bucket that refills one request every `intervalMs`, up to
	`max` requests (`burst` when not given), kept at `key` as its level and the moment it refills from,
	as `"level@moment"`. The level is counted in requests, not time, so that a caller may change
	`intervalMs` from one request to the next. A bucket that is absent (or unreadable) holds `burst`, and
	refills from one interval after now: the request after a burst waits two intervals, which leaves the
	burst time to reach the server. Refilling never takes a level above `max`, nor below what it was. With
	a request's worth in it, takes it, stores the rest for `ttlMs` and returns 0; otherwise stores nothing
	and returns how many milliseconds after `now` the bucket will hold a request.
	*/
	pace(key: string, options: {readonly intervalMs: number; readonly burst: number; readonly max?: number | undefined; readonly now: number; readonly ttlMs: number}): Promise<number>;
};

type Entry = {value: string; expires: number};

/**
A `pace` bucket at `now`: its level, what `value` (`"level@moment"`) held plus one request for each
`intervalMs` after its moment, up to `max` (a level already above it stays), and the moment it refills
from. `burst`, refilling from one interval after now, when `value` is absent or unreadable.
*/
const paceLevel = (value: string | undefined, {burst, max = burst, intervalMs, now}: {readonly burst: number; readonly max?: number | undefined; readonly intervalMs: number; readonly now: number}): {readonly level: number; readonly moment: number} => {
	const [level, moment] = (value ?? '').split('@').map(Number);
	if (level === undefined || moment === undefined || !Number.isFinite(level) || !Number.isFinite(moment)) {
		return {level: burst, moment: now + intervalMs};
	}

	return {level: Math.max(level, Math.min(max, level + (Math.max(0, now - moment) / intervalMs))), moment};
};

// The stores createMemoryStore() made: they answer at once, so nothing needs to bound their operations.
const memoryStores = new WeakSet<KnoudsStore>();

/** Whether a store is one of `createMemoryStore()`'s. */
export const isMemoryStore = (store: KnoudsStore): boolean => memoryStores.has(store);

// Expired entries go when read, and in a sweep every so many writes, so that a long-lived client's
// memory stays flat however many keys it has used.
const sweepEvery = 1000;

/**
An in-memory `KnoudsStore`: the default, one per client. Its operations are atomic because they run
to completion on one thread.

@param now - The clock for expiry, in epoch milliseconds.
*/
export const createMemoryStore = (now: () => number = Date.now): KnoudsStore => {
	const entries = new Map<string, Entry>();
	let writes = 0;
	const read = (key: string): string | undefined => {
		const entry = entries.get(key);
		if (entry !== undefined && entry.expires <= now()) {
			entries.delete(key);
			return undefined;
		}

		return entry?.value;
	};

	const write = (key: string, value: string, ttlMs: number): void => {
		entries.set(key, {value, expires: now() + ttlMs});
		if (++writes % sweepEvery === 0) {
			const time = now();
			for (const [name, entry] of entries) {
				if (entry.expires <= time) {
					entries.delete(name);
				}
			}
		}
	};

	// Anything but a finite number (a blank or garbled value) reads as absent, as `Number('')` would not.
	const number = (key: string, initial: number): number => {
		const text = read(key);
		const value = text === undefined || text.trim() === '' ? Number.NaN : Number(text);
		return Number.isFinite(value) ? value : initial;
	};

	// Settled promises, without an async function around each: every attempt makes several of these calls.
	const store: KnoudsStore = {
		get: key => Promise.resolve(read(key)),
		set(key, value, ttlMs) {
			write(key, value, ttlMs);
			return Promise.resolve();
		},
		add(key, delta, {initial, max, ttlMs}) {
			const value = Math.min(max, number(key, initial) + delta);
			write(key, String(value), ttlMs);
			return Promise.resolve(value);
		},
		take(key, amount, {initial, ttlMs}) {
			const value = number(key, initial);
			if (value >= amount) {
				write(key, String(value - amount), ttlMs);
			}

			return Promise.resolve(value >= amount);
		},
		reserve(key, intervalMs, time, ttlMs) {
			const slot = Math.max(time, number(key, time));
			write(key, String(slot + intervalMs), ttlMs);
			return Promise.resolve(slot);
		},
		pace(key, {intervalMs, burst, max, now: time, ttlMs}) {
			const {level, moment} = paceLevel(read(key), {burst, max, intervalMs, now: time});
			if (level < 1) {
				return Promise.resolve(Math.max(moment - time, 0) + ((1 - level) * intervalMs));
			}

			write(key, `${level - 1}@${Math.max(moment, time)}`, ttlMs);
			return Promise.resolve(0);
		},
	};
	memoryStores.add(store);
	return store;
};
