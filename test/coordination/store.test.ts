import fc from 'fast-check';
import {describe, expect, it, vi} from 'vitest';
import {createMemoryStore, type KnoudsStore} from '../../src/coordination/store.js';

// The store's clock is injected: a plain variable that each test moves by hand, no timers.
const clocked = (start = 0): {store: KnoudsStore; advance: (ms: number) => void; set: (ms: number) => void} => {
	let time = start;
	return {
		store: createMemoryStore(() => time),
		advance(ms) {
			time += ms;
		},
		set(ms) {
			time = ms;
		},
	};
};

describe('createMemoryStore get and set', () => {
	it('reads a missing key as undefined', async () => {
		const {store} = clocked();
		expect(await store.get('nothing')).toBeUndefined();
	});

	it('reads back what was set until the ttl has passed, then reads it as absent', async () => {
		const {store, advance} = clocked(1000);
		await store.set('k', 'v', 100);
		expect(await store.get('k')).toBe('v');
		advance(99);
		expect(await store.get('k')).toBe('v');
		advance(1);
		expect(await store.get('k')).toBeUndefined();
	});

	it('keeps a value that was set for Infinity forever', async () => {
		const {store, advance} = clocked();
		await store.set('k', 'forever', Number.POSITIVE_INFINITY);
		advance(Number.MAX_SAFE_INTEGER);
		expect(await store.get('k')).toBe('forever');
	});

	it('replaces the value and the ttl of a key that is set again', async () => {
		const {store, advance} = clocked();
		await store.set('k', 'first', 10);
		await store.set('k', 'second', 1000);
		advance(500);
		expect(await store.get('k')).toBe('second');
	});

	it('keeps keys apart', async () => {
		const {store} = clocked();
		await store.set('a', '1', 100);
		await store.set('b', '2', 100);
		expect(await store.get('a')).toBe('1');
		expect(await store.get('b')).toBe('2');
	});

	it('treats a ttl of zero as already expired', async () => {
		const {store} = clocked();
		await store.set('k', 'v', 0);
		expect(await store.get('k')).toBeUndefined();
	});
});

describe('createMemoryStore add', () => {
	const options = {initial: 5, max: 100, ttlMs: 1000};

	it('starts from the initial value when the key is absent', async () => {
		const {store} = clocked();
		expect(await store.add('n', 2, options)).toBe(7);
		expect(await store.get('n')).toBe('7');
	});

	it('adds to the value already stored', async () => {
		const {store} = clocked();
		await store.add('n', 2, options);
		expect(await store.add('n', 3, options)).toBe(10);
	});

	it('clamps the result to max', async () => {
		const {store} = clocked();
		expect(await store.add('n', 1000, options)).toBe(100);
		expect(await store.add('n', 1, options)).toBe(100);
		expect(await store.get('n')).toBe('100');
	});

	it('clamps an initial value above max', async () => {
		const {store} = clocked();
		expect(await store.add('n', 0, {initial: 50, max: 10, ttlMs: 1000})).toBe(10);
	});

	it('adds fractions, as the retry budget earns them', async () => {
		const {store} = clocked();
		await store.add('n', 0.1, {initial: 0, max: 10, ttlMs: 1000});
		expect(await store.add('n', 0.2, {initial: 0, max: 10, ttlMs: 1000})).toBeCloseTo(0.3, 12);
	});

	it('starts again from the initial value once the stored value has expired', async () => {
		const {store, advance} = clocked();
		await store.add('n', 10, options);
		advance(1000);
		expect(await store.get('n')).toBeUndefined();
		expect(await store.add('n', 1, options)).toBe(6);
	});

	it('renews the ttl on every add', async () => {
		const {store, advance} = clocked();
		await store.add('n', 1, options);
		advance(600);
		await store.add('n', 1, options);
		advance(600);
		expect(await store.get('n')).toBe('7');
		advance(400);
		expect(await store.get('n')).toBeUndefined();
	});

	it('never expires a value added with an Infinity ttl', async () => {
		const {store, advance} = clocked();
		await store.add('n', 1, {initial: 0, max: Number.POSITIVE_INFINITY, ttlMs: Number.POSITIVE_INFINITY});
		advance(Number.MAX_SAFE_INTEGER);
		expect(await store.get('n')).toBe('1');
	});
});

describe('createMemoryStore take', () => {
	const options = {initial: 3, ttlMs: 1000};

	it('takes from the initial value when the key is absent', async () => {
		const {store} = clocked();
		expect(await store.take('t', 1, options)).toBe(true);
		expect(await store.get('t')).toBe('2');
	});

	it('takes only while enough is left, down to exactly zero', async () => {
		const {store} = clocked();
		const results = [];
		for (let index = 0; index < 5; index++) {
			results.push(await store.take('t', 1, options));
		}

		expect(results).toEqual([true, true, true, false, false]);
		expect(await store.get('t')).toBe('0');
	});

	it('returns false and leaves the value alone when there is not enough', async () => {
		const {store} = clocked();
		await store.set('t', '1.5', 1000);
		expect(await store.take('t', 2, options)).toBe(false);
		expect(await store.get('t')).toBe('1.5');
	});

	it('does not store anything when it takes nothing from an absent key', async () => {
		const {store} = clocked();
		expect(await store.take('t', 10, options)).toBe(false);
		expect(await store.get('t')).toBeUndefined();
	});

	it('leaves the ttl of the value alone when it fails', async () => {
		const {store, advance} = clocked();
		await store.set('t', '0', 100);
		advance(50);
		expect(await store.take('t', 1, {initial: 3, ttlMs: 10_000})).toBe(false);
		advance(50);
		expect(await store.get('t')).toBeUndefined();
	});

	it('stores the rest for the ttl when it succeeds', async () => {
		const {store, advance} = clocked();
		expect(await store.take('t', 1, options)).toBe(true);
		advance(999);
		expect(await store.get('t')).toBe('2');
		advance(1);
		expect(await store.get('t')).toBeUndefined();
		expect(await store.take('t', 3, options)).toBe(true);
	});
});

describe('createMemoryStore reserve', () => {
	it('gives the first slot at now', async () => {
		const {store} = clocked();
		expect(await store.reserve('s', 100, 5000, 60_000)).toBe(5000);
	});

	it('gives each next slot one interval after the previous one', async () => {
		const {store} = clocked();
		const slots = [];
		for (let index = 0; index < 4; index++) {
			slots.push(await store.reserve('s', 100, 5000, 60_000));
		}

		expect(slots).toEqual([5000, 5100, 5200, 5300]);
	});

	it('never gives a slot earlier than now after a pause', async () => {
		const {store} = clocked();
		await store.reserve('s', 100, 5000, 60_000);
		await store.reserve('s', 100, 5000, 60_000);
		expect(await store.reserve('s', 100, 9000, 60_000)).toBe(9000);
		expect(await store.reserve('s', 100, 9000, 60_000)).toBe(9100);
	});

	it('forgets the next slot once its ttl has passed', async () => {
		const {store, advance} = clocked();
		await store.reserve('s', 1000, 0, 50);
		advance(50);
		expect(await store.reserve('s', 1000, 60, 50)).toBe(60);
	});

	it('keeps the pacers of different keys apart', async () => {
		const {store} = clocked();
		await store.reserve('a', 100, 0, 60_000);
		expect(await store.reserve('b', 100, 0, 60_000)).toBe(0);
		expect(await store.reserve('a', 100, 0, 60_000)).toBe(100);
	});
});

describe('createMemoryStore pace', () => {
	const bucket = {intervalMs: 100, burst: 3, ttlMs: 60_000};
	const pace = async (store: KnoudsStore, now: number, options: Partial<typeof bucket> = {}): Promise<number> => store.pace('p', {...bucket, ...options, now});

	it('admits a full burst at once from a bucket never used', async () => {
		const {store} = clocked();
		expect([await pace(store, 1000), await pace(store, 1000), await pace(store, 1000)]).toEqual([0, 0, 0]);
	});

	it('holds the request after the burst exactly two intervals, so that the burst has time to reach the server first', async () => {
		const {store} = clocked();
		for (let index = 0; index < 3; index++) {
			await pace(store, 1000);
		}

		expect(await pace(store, 1000)).toBe(200);
		expect(await pace(store, 1199)).toBeCloseTo(1, 9);
		expect(await pace(store, 1200)).toBe(0);
	});

	it('refills one request per interval, and no more than the burst however long it sits idle', async () => {
		const {store} = clocked();
		for (let index = 0; index < 3; index++) {
			await pace(store, 1000);
		}

		// Refilling from 1100: two requests by 1300, then the third waits an interval.
		expect([await pace(store, 1300), await pace(store, 1300), await pace(store, 1300)]).toEqual([0, 0, 100]);
		// An hour idle fills it to the burst, not beyond.
		expect([await pace(store, 3_601_300), await pace(store, 3_601_300), await pace(store, 3_601_300), await pace(store, 3_601_300)]).toEqual([0, 0, 0, 100]);
	});

	it('says how long until a part-filled bucket holds a request', async () => {
		const {store} = clocked();
		for (let index = 0; index < 3; index++) {
			await pace(store, 1000);
		}

		expect(await pace(store, 1125)).toBe(75);
	});

	it('takes a changed interval from the next call on, without losing the level the bucket had', async () => {
		const {store} = clocked();
		await pace(store, 0, {burst: 4});
		// Three left, refilling from 100: the new interval leaves them there, and the next request waits for one of its intervals.
		expect([await pace(store, 0, {burst: 4, intervalMs: 1000}), await pace(store, 0, {burst: 4, intervalMs: 1000}), await pace(store, 0, {burst: 4, intervalMs: 1000})]).toEqual([0, 0, 0]);
		expect(await pace(store, 0, {burst: 4, intervalMs: 1000})).toBe(1100);
		expect(await pace(store, 100, {burst: 4, intervalMs: 50})).toBe(50);
	});

	it('keeps the bucket as its level and the moment it refills from', async () => {
		const {store} = clocked();
		await pace(store, 1000);
		expect(await store.get('p')).toBe('2@1100');
		await pace(store, 1000);
		await pace(store, 1000);
		await pace(store, 1250);
		expect(await store.get('p')).toBe('0.5@1250');
	});

	it('reads an unreadable bucket as full', async () => {
		for (const value of ['', 'abc', '3', 'NaN@1000', '1@NaN', 'Infinity@0', '1@-Infinity', '{}', '[1,2]']) {
			const {store} = clocked();
			await store.set('p', value, 60_000);
			expect([await pace(store, 1000), await pace(store, 1000), await pace(store, 1000), await pace(store, 1000)], value).toEqual([0, 0, 0, 200]);
		}
	});

	it('stores nothing when it refuses, leaving the bucket and its expiry as they were', async () => {
		const {store, advance} = clocked();
		await store.set('p', '0.5@0', 100);
		expect(await pace(store, 0, {ttlMs: 10_000})).toBe(50);
		expect(await store.get('p')).toBe('0.5@0');
		advance(100);
		expect(await store.get('p')).toBeUndefined();
	});

	it('keeps what is left for the ttl it is given, then forgets it, and the bucket is full again', async () => {
		const {store, advance} = clocked();
		await pace(store, 0, {ttlMs: 500});
		await pace(store, 0, {ttlMs: 500});
		await pace(store, 0, {ttlMs: 500});
		advance(499);
		expect(await store.get('p')).toBe('0@100');
		advance(1);
		expect(await store.get('p')).toBeUndefined();
		expect(await pace(store, 0, {ttlMs: 500})).toBe(0);
	});

	it('keeps the buckets of different keys apart', async () => {
		const {store} = clocked();
		for (let index = 0; index < 3; index++) {
			await pace(store, 0);
		}

		expect(await store.pace('other', {...bucket, now: 0})).toBe(0);
		expect(await pace(store, 0)).toBe(200);
	});
});

describe('createMemoryStore with garbage in a key', () => {
	const garbage = ['abc', '{}', 'NaN', 'Infinity', '-Infinity', '12abc', '', ' ', '\n'];

	it('reads garbage as the initial value in add', async () => {
		for (const value of garbage) {
			const {store} = clocked();
			await store.set('n', value, 1000);
			expect(await store.add('n', 1, {initial: 5, max: 100, ttlMs: 1000}), value).toBe(6);
		}
	});

	it('reads garbage as the initial value in take', async () => {
		for (const value of garbage) {
			const {store} = clocked();
			await store.set('t', value, 1000);
			expect(await store.take('t', 2, {initial: 3, ttlMs: 1000}), value).toBe(true);
			expect(await store.get('t'), value).toBe('1');
		}
	});

	it('reads garbage as now in reserve', async () => {
		for (const value of garbage) {
			const {store} = clocked();
			await store.set('s', value, 1000);
			expect(await store.reserve('s', 100, 700, 1000), value).toBe(700);
			expect(await store.reserve('s', 100, 700, 1000), value).toBe(800);
		}
	});
});

describe('createMemoryStore properties', () => {
	it('hands out non-decreasing slots at least one interval apart for any non-decreasing clock', async () => {
		await fc.assert(fc.asyncProperty(
			fc.integer({min: 1, max: 10_000}),
			fc.integer({min: 0, max: 1e12}),
			fc.array(fc.nat({max: 50_000}), {minLength: 1, maxLength: 60}),
			async (intervalMs, start, steps) => {
				const {store} = clocked(start);
				let now = start;
				const slots: number[] = [];
				for (const step of steps) {
					now += step;
					const slot = await store.reserve('s', intervalMs, now, Number.POSITIVE_INFINITY);
					expect(slot).toBeGreaterThanOrEqual(now);
					slots.push(slot);
				}

				for (let index = 1; index < slots.length; index++) {
					expect(slots[index]!).toBeGreaterThanOrEqual(slots[index - 1]!);
					expect(slots[index]! - slots[index - 1]!).toBeGreaterThanOrEqual(intervalMs);
				}
			},
		));
	});

	it('paces a bucket at its burst and then one per interval, and each wait it gives is exact', async () => {
		// Intervals that are powers of two keep the level's arithmetic exact, so the bounds below hold to the millisecond.
		await fc.assert(fc.asyncProperty(
			fc.integer({min: 0, max: 10}).map(power => 2 ** power),
			fc.integer({min: 1, max: 20}),
			fc.integer({min: 0, max: 1e12}),
			fc.array(fc.nat({max: 5000}), {minLength: 1, maxLength: 80}),
			async (intervalMs, burst, start, steps) => {
				const {store} = clocked(start);
				const options = {intervalMs, burst, ttlMs: Number.POSITIVE_INFINITY};
				let now = start;
				let admitted = 0;
				for (const step of steps) {
					now += step;
					const wait = await store.pace('p', {...options, now});
					if (wait === 0) {
						admitted++;
					} else {
						// A moment before the wait is over the bucket still refuses; at its end it admits.
						const before = await store.get('p');
						if (wait >= 1) {
							expect(await store.pace('p', {...options, now: now + wait - 1})).toBeGreaterThan(0);
						}

						expect(await store.get('p')).toBe(before);
						expect(await store.pace('p', {...options, now: now + wait})).toBe(0);
						admitted++;
						now += wait;
					}

					// The burst at once, then one per interval once the first interval after the start has passed.
					expect(admitted).toBeLessThanOrEqual(burst + Math.max(0, Math.floor((now - start - intervalMs) / intervalMs)));
				}
			},
		));
	});

	it('never lets add exceed max nor take leave a negative value', async () => {
		await fc.assert(fc.asyncProperty(
			fc.array(fc.oneof(
				fc.record({kind: fc.constant('add' as const), amount: fc.double({min: 0, max: 5, noNaN: true})}),
				fc.record({kind: fc.constant('take' as const), amount: fc.double({min: 0, max: 5, noNaN: true})}),
			), {maxLength: 50}),
			async operations => {
				const {store} = clocked();
				for (const {kind, amount} of operations) {
					if (kind === 'add') {
						expect(await store.add('n', amount, {initial: 10, max: 10, ttlMs: 1000})).toBeLessThanOrEqual(10);
					} else {
						await store.take('n', amount, {initial: 10, ttlMs: 1000});
					}

					expect(Number(await store.get('n') ?? 10)).toBeGreaterThanOrEqual(0);
				}
			},
		));
	});
});

describe('createMemoryStore memory', () => {
	// The store's map is private. To see its size without timing anything, a spy on Map.prototype.set
	// catches the map it writes to (and only that one: it writes a key no one else uses).
	const internalMap = async (store: KnoudsStore): Promise<Map<unknown, unknown>> => {
		const spy = vi.spyOn(Map.prototype, 'set');
		try {
			await store.set('memory-probe', 'x', Number.POSITIVE_INFINITY);
			const call = spy.mock.calls.findIndex(([key]) => key === 'memory-probe');
			expect(call).toBeGreaterThanOrEqual(0);
			return spy.mock.contexts[call] as Map<unknown, unknown>;
		} finally {
			spy.mockRestore();
		}
	};

	it('reads an expired key as absent however many keys were written', async () => {
		const {store, advance} = clocked();
		for (let index = 0; index < 10_000; index++) {
			await store.set(`old:${index}`, 'v', 1);
		}

		advance(2);
		await store.set('new', 'v', 1000);
		expect(await store.get('old:0')).toBeUndefined();
		expect(await store.get('old:9999')).toBeUndefined();
		expect(await store.get('new')).toBe('v');
	});

	it('sweeps expired keys that are never read again, so its map does not grow', async () => {
		const {store, advance} = clocked();
		const map = await internalMap(store);
		for (let index = 0; index < 10_000; index++) {
			await store.set(`old:${index}`, 'v', 1);
		}

		expect(map.size).toBe(10_001);
		advance(2);
		// Later writes, all to one live key: within one sweep period the expired keys go, unread.
		for (let index = 0; index < 2000; index++) {
			await store.add('live', 1, {initial: 0, max: Number.POSITIVE_INFINITY, ttlMs: 1000});
		}

		expect(map.has('old:0')).toBe(false);
		expect(map.size).toBe(2);
		expect(await store.get('memory-probe')).toBe('x');
		expect(await store.get('live')).toBe('2000');
	});

	it('stays flat while a long-lived client keeps writing short-lived distinct keys', async () => {
		const {store, advance} = clocked();
		const map = await internalMap(store);
		let largest = 0;
		for (let index = 0; index < 20_000; index++) {
			await store.set(`key:${index}`, 'v', 10);
			advance(1);
			largest = Math.max(largest, map.size);
		}

		expect(largest).toBeLessThan(1500);
	});
});
