import fc from 'fast-check';
import {describe, expect, it, vi} from 'vitest';
import {createMemoryStore} from '../../src/coordination/memory-store.js';
import {primitives} from '../support/store-ops.js';

// The store's clock is injected: a plain variable that each test moves by hand, no timers. `store` runs
// steps (`run`), and each old-style operation as one step of its own (see `primitives`).
const clocked = (start = 0) => {
	let time = start;
	const raw = createMemoryStore(() => time);
	return {
		store: {...primitives(raw), run: raw.run.bind(raw)},
		advance: (ms: number): void => {
			time += ms;
		},
		at: (ms: number): void => {
			time = ms;
		},
	};
};

type Store = ReturnType<typeof clocked>['store'];

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
	// A slot is said as how long after the store's now it is: zero for a slot that is now.
	it('gives the first slot at now', async () => {
		const {store} = clocked(5000);
		expect(await store.reserve('s', 100, 60_000)).toBe(0);
	});

	it('gives each next slot one interval after the previous one', async () => {
		const {store} = clocked(5000);
		const slots = [];
		for (let index = 0; index < 4; index++) {
			slots.push(await store.reserve('s', 100, 60_000));
		}

		expect(slots).toEqual([0, 100, 200, 300]);
	});

	it('says the wait from the store\'s now, which shortens as the clock moves on', async () => {
		const {store, advance} = clocked(5000);
		await store.reserve('s', 100, 60_000);
		await store.reserve('s', 100, 60_000);
		advance(150);
		// The next slot is 5200: 50 ms away.
		expect(await store.reserve('s', 100, 60_000)).toBe(50);
		expect(await store.get('s')).toBe('5300');
	});

	it('never gives a slot earlier than now after a pause', async () => {
		const {store, at} = clocked(5000);
		await store.reserve('s', 100, 60_000);
		await store.reserve('s', 100, 60_000);
		at(9000);
		expect(await store.reserve('s', 100, 60_000)).toBe(0);
		expect(await store.reserve('s', 100, 60_000)).toBe(100);
		expect(await store.get('s')).toBe('9200');
	});

	it('forgets the next slot once its ttl has passed', async () => {
		const {store, advance} = clocked();
		await store.reserve('s', 1000, 50);
		advance(50);
		// Remembered, the next slot would be 950 ms away.
		expect(await store.reserve('s', 1000, 50)).toBe(0);
	});

	it('keeps the pacers of different keys apart', async () => {
		const {store} = clocked();
		await store.reserve('a', 100, 60_000);
		expect(await store.reserve('b', 100, 60_000)).toBe(0);
		expect(await store.reserve('a', 100, 60_000)).toBe(100);
	});

	it('stops the step at a slot later than now, having taken it, and not at a slot that is now', async () => {
		const {store} = clocked(1000);
		const op = {op: 'reserve', key: 's', intervalMs: 100, ttlMs: 60_000} as const;
		expect(await store.run([op, {op: 'set', key: 'after', value: 'x', ttlMs: 60_000}])).toEqual({now: 1000, results: [0, undefined], stopped: false});
		expect(await store.run([op, {op: 'set', key: 'after', value: 'y', ttlMs: 60_000}])).toEqual({now: 1000, results: [100], stopped: true});
		expect(await store.get('after')).toBe('x');
		expect(await store.get('s')).toBe('1200');
	});
});

describe('createMemoryStore pace', () => {
	const bucket = {intervalMs: 100, burst: 3, ttlMs: 60_000};
	// Paces on the store's clock, which it first moves to `now`.
	const paceAt = (context: {store: Store; at: (ms: number) => void}) => async (now: number, options: Partial<typeof bucket & {max: number}> = {}): Promise<number> => {
		context.at(now);
		return context.store.pace('p', {...bucket, ...options});
	};

	it('admits a full burst at once from a bucket never used', async () => {
		const pace = paceAt(clocked());
		expect([await pace(1000), await pace(1000), await pace(1000)]).toEqual([0, 0, 0]);
	});

	it('holds the request after the burst exactly two intervals, so that the burst has time to reach the server first', async () => {
		const pace = paceAt(clocked());
		for (let index = 0; index < 3; index++) {
			await pace(1000);
		}

		expect(await pace(1000)).toBe(200);
		expect(await pace(1199)).toBeCloseTo(1, 9);
		expect(await pace(1200)).toBe(0);
	});

	it('refills one request per interval, and no more than the burst however long it sits idle', async () => {
		const paceOn = paceAt(clocked());
		// Kept for good, so that the hour below is spent refilling, not forgetting.
		const pace = async (now: number): Promise<number> => paceOn(now, {ttlMs: Number.POSITIVE_INFINITY});
		for (let index = 0; index < 3; index++) {
			await pace(1000);
		}

		// Refilling from 1100: two requests by 1300, then the third waits an interval.
		expect([await pace(1300), await pace(1300), await pace(1300)]).toEqual([0, 0, 100]);
		// An hour idle fills it to the burst, not beyond.
		expect([await pace(3_601_300), await pace(3_601_300), await pace(3_601_300), await pace(3_601_300)]).toEqual([0, 0, 0, 100]);
	});

	it('says how long until a part-filled bucket holds a request', async () => {
		const pace = paceAt(clocked());
		for (let index = 0; index < 3; index++) {
			await pace(1000);
		}

		expect(await pace(1125)).toBe(75);
	});

	it('takes a changed interval from the next call on, without losing the level the bucket had', async () => {
		const pace = paceAt(clocked());
		await pace(0, {burst: 4});
		// Three left, refilling from 100: the new interval leaves them there, and the next request waits for one of its intervals.
		expect([await pace(0, {burst: 4, intervalMs: 1000}), await pace(0, {burst: 4, intervalMs: 1000}), await pace(0, {burst: 4, intervalMs: 1000})]).toEqual([0, 0, 0]);
		expect(await pace(0, {burst: 4, intervalMs: 1000})).toBe(1100);
		expect(await pace(100, {burst: 4, intervalMs: 50})).toBe(50);
	});

	it('refills up to max when given, above the burst, and keeps a level already above max', async () => {
		const context = clocked();
		const pace = paceAt(context);
		for (let index = 0; index < 3; index++) {
			await pace(0, {max: 5});
		}

		// A second idle refills five, not three.
		expect([await pace(1000, {max: 5}), await pace(1000, {max: 5}), await pace(1000, {max: 5}), await pace(1000, {max: 5}), await pace(1000, {max: 5}), await pace(1000, {max: 5})]).toEqual([0, 0, 0, 0, 0, 100]);
		await context.store.set('p', '4@0', 60_000);
		// Four held where the max is one: all four go, and the fifth waits.
		expect([await pace(2000, {max: 1}), await pace(2000, {max: 1}), await pace(2000, {max: 1}), await pace(2000, {max: 1}), await pace(2000, {max: 1})]).toEqual([0, 0, 0, 0, 100]);
	});

	it('keeps the bucket as its level and the moment it refills from', async () => {
		const context = clocked();
		const pace = paceAt(context);
		await pace(1000);
		expect(await context.store.get('p')).toBe('2@1100');
		await pace(1000);
		await pace(1000);
		await pace(1250);
		expect(await context.store.get('p')).toBe('0.5@1250');
	});

	it('reads an unreadable bucket as full', async () => {
		for (const value of ['', 'abc', '3', 'NaN@1000', '1@NaN', 'Infinity@0', '1@-Infinity', '{}', '[1,2]']) {
			const context = clocked();
			const pace = paceAt(context);
			await context.store.set('p', value, 60_000);
			expect([await pace(1000), await pace(1000), await pace(1000), await pace(1000)], value).toEqual([0, 0, 0, 200]);
		}
	});

	it('stores nothing when it refuses, leaving the bucket and its expiry as they were', async () => {
		const context = clocked();
		const pace = paceAt(context);
		await context.store.set('p', '0.5@0', 100);
		expect(await pace(0, {ttlMs: 10_000})).toBe(50);
		expect(await context.store.get('p')).toBe('0.5@0');
		context.advance(100);
		expect(await context.store.get('p')).toBeUndefined();
	});

	it('keeps what is left for the ttl it is given, then forgets it, and the bucket is full again', async () => {
		const context = clocked();
		const pace = paceAt(context);
		await pace(0, {ttlMs: 500});
		await pace(0, {ttlMs: 500});
		await pace(0, {ttlMs: 500});
		context.advance(499);
		expect(await context.store.get('p')).toBe('0@100');
		context.advance(1);
		expect(await context.store.get('p')).toBeUndefined();
		expect(await pace(500, {ttlMs: 500})).toBe(0);
	});

	it('keeps the buckets of different keys apart', async () => {
		const context = clocked();
		const pace = paceAt(context);
		for (let index = 0; index < 3; index++) {
			await pace(0);
		}

		expect(await context.store.pace('other', bucket)).toBe(0);
		expect(await pace(0)).toBe(200);
	});

	it('stops the step when it holds the request, and not when it admits it', async () => {
		const {store} = clocked(1000);
		const op = {op: 'pace', key: 'p', intervalMs: 100, burst: 1, ttlMs: 60_000} as const;
		expect(await store.run([op, {op: 'get', key: 'p'}])).toEqual({now: 1000, results: [0, '0@1100'], stopped: false});
		expect(await store.run([op, {op: 'get', key: 'p'}])).toEqual({now: 1000, results: [200], stopped: true});
	});
});

describe('createMemoryStore setUntil', () => {
	it('sets a key to an instant on the store\'s clock, expiring then', async () => {
		const {store, advance} = clocked(1000);
		expect(await store.run([{op: 'setUntil', key: 'gate', until: 6000}])).toEqual({now: 1000, results: [undefined], stopped: false});
		advance(4999);
		expect(await store.get('gate')).toBe('6000');
		advance(1);
		expect(await store.get('gate')).toBeUndefined();
	});

	it('moves a key set again to a later instant, and keeps a later one it holds, so that no wait any 429 announced is cut short', async () => {
		const {store, advance} = clocked(1000);
		await store.run([{op: 'setUntil', key: 'gate', until: 3000}]);
		await store.run([{op: 'setUntil', key: 'gate', until: 9000}]);
		await store.run([{op: 'setUntil', key: 'gate', until: 5000}]);
		advance(7999);
		expect(await store.get('gate')).toBe('9000');
		advance(1);
		expect(await store.get('gate')).toBeUndefined();
	});

	it('removes the key when the instant has passed and it holds no later one', async () => {
		for (const until of [1000, 999, 0]) {
			const {store} = clocked(1000);
			await store.set('gate', '500', 60_000);
			await store.run([{op: 'setUntil', key: 'gate', until}]);
			expect(await store.get('gate'), String(until)).toBeUndefined();
		}
	});
});

describe('createMemoryStore init', () => {
	const init = (value: string, ttlMs = 1000) => ({op: 'init', key: 'k', value, ttlMs}) as const;

	it('sets an absent key for the ttl, and answers the value it set', async () => {
		const {store, advance} = clocked();
		expect((await store.run([init('first')])).results).toEqual(['first']);
		advance(999);
		expect(await store.get('k')).toBe('first');
		advance(1);
		expect(await store.get('k')).toBeUndefined();
	});

	it('leaves the value of a present key alone, and answers it', async () => {
		const {store} = clocked();
		await store.set('k', 'there', 1000);
		expect((await store.run([init('other')])).results).toEqual(['there']);
		expect(await store.get('k')).toBe('there');
	});

	it('leaves the expiry of a present key alone, so that a record is forgotten an hour after its last news however often it is read', async () => {
		const {store, advance} = clocked();
		await store.set('k', 'there', 100);
		await store.run([init('other', 10_000)]);
		advance(100);
		expect(await store.get('k')).toBeUndefined();
	});

	it('sets a key again once it has expired', async () => {
		const {store, advance} = clocked();
		await store.set('k', 'old', 100);
		advance(100);
		expect((await store.run([init('new')])).results).toEqual(['new']);
		expect(await store.get('k')).toBe('new');
	});

	it('never stops the step', async () => {
		const {store} = clocked();
		await store.set('k', 'there', 1000);
		expect(await store.run([init('other'), {op: 'get', key: 'k'}])).toEqual({now: 0, results: ['there', 'there'], stopped: false});
	});
});

describe('createMemoryStore stamp', () => {
	const stamp = (ttlMs = 1000) => ({op: 'stamp', key: 'k', ttlMs}) as const;

	it('sets an absent key to the store\'s clock, and answers it', async () => {
		const {store} = clocked(1234);
		expect(await store.run([stamp()])).toEqual({now: 1234, results: ['1234'], stopped: false});
		expect(await store.get('k')).toBe('1234');
	});

	it('keeps the first stamp, and renews its expiry each time', async () => {
		const {store, advance} = clocked(1000);
		await store.run([stamp()]);
		advance(600);
		expect((await store.run([stamp()])).results).toEqual(['1000']);
		advance(600);
		// 1200 ms after the first stamp, 600 after the second: still there.
		expect(await store.get('k')).toBe('1000');
		advance(400);
		expect(await store.get('k')).toBeUndefined();
	});

	it('stamps anew once the key has expired', async () => {
		const {store, advance} = clocked(1000);
		await store.run([stamp(100)]);
		advance(100);
		expect((await store.run([stamp(100)])).results).toEqual(['1100']);
	});
});

describe('createMemoryStore absent', () => {
	it('lets the step go on past an absent key, answering undefined', async () => {
		const {store} = clocked();
		expect(await store.run([{op: 'absent', key: 'k'}, {op: 'set', key: 'after', value: 'x', ttlMs: 1000}])).toEqual({now: 0, results: [undefined, undefined], stopped: false});
		expect(await store.get('after')).toBe('x');
	});

	it('stops the step at a present key, answering its value', async () => {
		const {store} = clocked();
		await store.set('k', 'there', 1000);
		expect(await store.run([{op: 'absent', key: 'k'}, {op: 'set', key: 'after', value: 'x', ttlMs: 1000}])).toEqual({now: 0, results: ['there'], stopped: true});
		expect(await store.get('after')).toBeUndefined();
	});

	it('reads an expired key as absent, and an empty value as present', async () => {
		const {store, advance} = clocked();
		await store.set('k', 'gone', 100);
		await store.set('empty', '', 1000);
		advance(100);
		expect((await store.run([{op: 'absent', key: 'k'}])).stopped).toBe(false);
		expect(await store.run([{op: 'absent', key: 'empty'}])).toEqual({now: 100, results: [''], stopped: true});
	});
});

describe('createMemoryStore expect', () => {
	it('lets the step go on when the key holds the value expected, answering it', async () => {
		const {store} = clocked();
		await store.set('k', 'v1', 1000);
		expect(await store.run([{op: 'expect', key: 'k', value: 'v1'}, {op: 'set', key: 'k', value: 'v2', ttlMs: 1000}])).toEqual({now: 0, results: ['v1', undefined], stopped: false});
		expect(await store.get('k')).toBe('v2');
	});

	it('stops the step when the key holds another value, answering the value it holds', async () => {
		const {store} = clocked();
		await store.set('k', 'v2', 1000);
		expect(await store.run([{op: 'expect', key: 'k', value: 'v1'}, {op: 'set', key: 'k', value: 'v3', ttlMs: 1000}])).toEqual({now: 0, results: ['v2'], stopped: true});
		expect(await store.get('k')).toBe('v2');
	});

	it('expects an absent key with undefined: stops when it is present, goes on when it is not', async () => {
		const {store, advance} = clocked();
		expect((await store.run([{op: 'expect', key: 'k', value: undefined}])).stopped).toBe(false);
		await store.set('k', 'v', 100);
		expect(await store.run([{op: 'expect', key: 'k', value: undefined}])).toEqual({now: 0, results: ['v'], stopped: true});
		advance(100);
		expect((await store.run([{op: 'expect', key: 'k', value: undefined}])).stopped).toBe(false);
	});

	it('stops the step when a value is expected and the key is absent', async () => {
		const {store} = clocked();
		expect(await store.run([{op: 'expect', key: 'k', value: 'v'}])).toEqual({now: 0, results: [undefined], stopped: true});
	});

	it('compares values as they are, text for text', async () => {
		const {store} = clocked();
		await store.set('k', '1', 1000);
		expect((await store.run([{op: 'expect', key: 'k', value: '1.0'}])).stopped).toBe(true);
		expect((await store.run([{op: 'expect', key: 'k', value: ' 1'}])).stopped).toBe(true);
	});
});

describe('createMemoryStore steps', () => {
	it('answers an empty step with the store\'s clock and nothing else', async () => {
		const {store} = clocked(42);
		expect(await store.run([])).toEqual({now: 42, results: [], stopped: false});
	});

	it('answers each operation\'s result in order, and the store\'s clock', async () => {
		const {store} = clocked(1000);
		await store.set('budget', '2', 60_000);
		expect(await store.run([
			{op: 'get', key: 'missing'},
			{op: 'set', key: 'a', value: 'x', ttlMs: 60_000},
			{op: 'get', key: 'a'},
			{op: 'add', key: 'n', delta: 2, initial: 1, max: 10, ttlMs: 60_000},
			{op: 'take', key: 'budget', amount: 1, initial: 0, ttlMs: 60_000},
			{op: 'take', key: 'budget', amount: 5, initial: 0, ttlMs: 60_000},
			{op: 'init', key: 'a', value: 'y', ttlMs: 60_000},
			{op: 'stamp', key: 'first', ttlMs: 60_000},
			{op: 'reserve', key: 's', intervalMs: 100, ttlMs: 60_000},
			{op: 'pace', key: 'p', intervalMs: 100, burst: 1, ttlMs: 60_000},
			{op: 'absent', key: 'missing'},
			{op: 'expect', key: 'a', value: 'x'},
		])).toEqual({now: 1000, results: [undefined, undefined, 'x', 3, 1, 0, 'x', '1000', 0, 0, undefined, 'x'], stopped: false});
	});

	it('stops at the first operation that stops it: answers the results up to and including it, and runs nothing after it', async () => {
		const {store} = clocked();
		await store.set('gate', 'closed', 1000);
		await store.set('latch', 'set', 1000);
		const answer = await store.run([
			{op: 'add', key: 'before', delta: 1, initial: 0, max: 10, ttlMs: 1000},
			{op: 'absent', key: 'gate'},
			{op: 'absent', key: 'latch'},
			{op: 'add', key: 'after', delta: 1, initial: 0, max: 10, ttlMs: 1000},
			{op: 'set', key: 'gate', value: 'open', ttlMs: 1000},
		]);
		expect(answer).toEqual({now: 0, results: [1, 'closed'], stopped: true});
		// What ran before the stop stays done.
		expect(await store.get('before')).toBe('1');
		expect(await store.get('after')).toBeUndefined();
		expect(await store.get('gate')).toBe('closed');
	});

	it('lets each operation of a step see what the ones before it wrote', async () => {
		const {store} = clocked();
		expect((await store.run([
			{op: 'set', key: 'k', value: '5', ttlMs: 1000},
			{op: 'add', key: 'k', delta: 1, initial: 0, max: 10, ttlMs: 1000},
			{op: 'take', key: 'k', amount: 6, initial: 0, ttlMs: 1000},
			{op: 'expect', key: 'k', value: '0'},
		])).results).toEqual([undefined, 6, 1, '0']);
	});

	it('runs a whole step at one instant of its clock, read once', async () => {
		let time = 1000;
		const clock = vi.fn(() => time++);
		const store = createMemoryStore(clock);
		// Had the clock moved between the set and the get, the key would have expired.
		expect(await store.run([{op: 'set', key: 'k', value: 'v', ttlMs: 1}, {op: 'get', key: 'k'}, {op: 'stamp', key: 's', ttlMs: 1}])).toEqual({now: 1000, results: [undefined, 'v', '1000'], stopped: false});
		expect(clock).toHaveBeenCalledTimes(1);
	});

	it('runs steps one at a time: of two that each claim a key if it is absent, one claims it and the other stops', async () => {
		const {store} = clocked();
		const claim = (who: string) => store.run([{op: 'expect', key: 'owner', value: undefined}, {op: 'set', key: 'owner', value: who, ttlMs: 1000}]);
		const [first, second] = await Promise.all([claim('a'), claim('b')]);
		expect([first.stopped, second.stopped]).toEqual([false, true]);
		expect(second.results).toEqual(['a']);
		expect(await store.get('owner')).toBe('a');
	});

	it('removes a key written with a ttl of zero or less', async () => {
		for (const ttlMs of [0, -1, Number.NEGATIVE_INFINITY]) {
			const {store} = clocked();
			await store.set('k', 'v', 1000);
			await store.run([{op: 'set', key: 'k', value: 'w', ttlMs}]);
			expect(await store.get('k'), String(ttlMs)).toBeUndefined();
			expect((await store.run([{op: 'absent', key: 'k'}])).stopped, String(ttlMs)).toBe(false);
		}
	});

	it('answers take as 1 when it took and 0 when it did not', async () => {
		const {store} = clocked();
		const take = {op: 'take', key: 't', amount: 1, initial: 1, ttlMs: 1000} as const;
		expect((await store.run([take, take])).results).toEqual([1, 0]);
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
			const {store} = clocked(700);
			await store.set('s', value, 1000);
			expect(await store.reserve('s', 100, 1000), value).toBe(0);
			expect(await store.reserve('s', 100, 1000), value).toBe(100);
			expect(await store.get('s'), value).toBe('900');
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
				const {store, at} = clocked(start);
				let now = start;
				const slots: number[] = [];
				for (const step of steps) {
					now += step;
					at(now);
					const wait = await store.reserve('s', intervalMs, Number.POSITIVE_INFINITY);
					expect(wait).toBeGreaterThanOrEqual(0);
					slots.push(now + wait);
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
				const {store, at} = clocked(start);
				const options = {intervalMs, burst, ttlMs: Number.POSITIVE_INFINITY};
				const paceAt = async (time: number): Promise<number> => {
					at(time);
					return store.pace('p', options);
				};

				let now = start;
				let admitted = 0;
				for (const step of steps) {
					now += step;
					const wait = await paceAt(now);
					if (wait === 0) {
						admitted++;
					} else {
						// A moment before the wait is over the bucket still refuses; at its end it admits.
						const before = await store.get('p');
						if (wait >= 1) {
							expect(await paceAt(now + wait - 1)).toBeGreaterThan(0);
						}

						expect(await store.get('p')).toBe(before);
						expect(await paceAt(now + wait)).toBe(0);
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
	const internalMap = async (store: Store): Promise<Map<unknown, unknown>> => {
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
