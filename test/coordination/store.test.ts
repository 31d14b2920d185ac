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
