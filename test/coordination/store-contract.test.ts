import {describe, expect, it, vi} from 'vitest';
import {useFakeClock} from '../support/clock.js';
import {createCoordinator} from '../../src/coordination/coordinator.js';
import {resolveCoordination} from '../../src/coordination/options.js';
import {KnoudsStoreError} from '../../src/coordination/resilient-store.js';
import {createMemoryStore, type KnoudsStore} from '../../src/coordination/store.js';

// What a store implementer and an operator see: the keys a client writes, for how long, and the
// errors a store fault is reported with. A store shared across processes (and versions) relies on them.

const scope = {request: {headers: {'x-api-key': 'kn_test'}, url: 'https://api.knouds.test/v1/models/flux/run', signal: undefined}, deadline: undefined, maxRetryAfter: 60_000, first: true};

const recording = () => {
	const inner = createMemoryStore();
	const writes: Array<{operation: string; key: string; ttlMs: number}> = [];
	const store: KnoudsStore = {
		get: async key => inner.get(key),
		async set(key, value, ttlMs) {
			writes.push({operation: 'set', key, ttlMs});
			return inner.set(key, value, ttlMs);
		},
		async add(key, delta, options) {
			writes.push({operation: 'add', key, ttlMs: options.ttlMs});
			return inner.add(key, delta, options);
		},
		async take(key, amount, options) {
			writes.push({operation: 'take', key, ttlMs: options.ttlMs});
			return inner.take(key, amount, options);
		},
		async reserve(key, interval, now, ttlMs) {
			writes.push({operation: 'reserve', key, ttlMs});
			return inner.reserve(key, interval, now, ttlMs);
		},
		async pace(key, options) {
			writes.push({operation: 'pace', key, ttlMs: options.ttlMs});
			return inner.pace(key, options);
		},
	};
	return {store, writes};
};

describe('the keys a client writes to its store', () => {
	it('names the record of the limit, the pacer and the retry budget under one prefix', async () => {
		useFakeClock();
		const {store, writes} = recording();
		const coordinator = createCoordinator(resolveCoordination({store, rateLimit: {requestsPerMinute: 0.5}}));
		const admission = await coordinator.admit(scope);
		if (admission.kind !== 'send') {
			throw new Error('not sent');
		}

		await coordinator.observe(scope, admission, {status: 200, code: undefined, retryAfterMs: undefined, body: undefined});
		await coordinator.spend();
		// The pacer's next slot is kept at least a minute, and twice its spacing when that is longer.
		expect(writes).toContainEqual({operation: 'reserve', key: 'knouds-retry:pace', ttlMs: 240_000});
		expect(writes).toContainEqual({operation: 'set', key: 'knouds-retry:limit', ttlMs: 3_600_000});
		expect(writes).toContainEqual({operation: 'add', key: 'knouds-retry:budget', ttlMs: Number.POSITIVE_INFINITY});
		expect(writes).toContainEqual({operation: 'take', key: 'knouds-retry:budget', ttlMs: Number.POSITIVE_INFINITY});
	});

	it('keeps the pacer\'s slot a minute at least', async () => {
		useFakeClock();
		const {store, writes} = recording();
		const coordinator = createCoordinator(resolveCoordination({store, rateLimit: {requestsPerMinute: 600}}));
		await coordinator.admit(scope);
		expect(writes).toContainEqual({operation: 'reserve', key: 'knouds-retry:pace', ttlMs: 60_000});
	});

	it('names the learned pace\'s bucket and its cycle\'s counts by the cycle, under the prefix, kept until its window ends and a while after', async () => {
		useFakeClock();
		const t0 = Date.now();
		const {store, writes} = recording();
		await store.set('knouds-retry:limit', JSON.stringify({until: 0, cycle: t0, learned: {admitted: 2, windowMs: 60_000, at: t0}}), 3_600_000);
		const coordinator = createCoordinator(resolveCoordination({store}));
		await coordinator.admit(scope);
		await coordinator.admit(scope);
		// Taken at the start of its minute: kept to its end, and ten seconds more.
		expect(writes).toContainEqual({operation: 'pace', key: `knouds-retry:paced:${t0}`, ttlMs: 70_000});
		// Two a minute learned: paced at four a minute beyond the burst, so the third waits half a minute.
		const third = coordinator.admit(scope);
		await vi.advanceTimersByTimeAsync(30_000);
		const admission = await third;
		if (admission.kind !== 'send') {
			throw new Error('not sent');
		}

		writes.length = 0;
		await coordinator.observe(scope, admission, {status: 200, code: undefined, retryAfterMs: undefined, body: undefined});
		// Counted half a minute into the cycle: kept twice its age, as is when its first answer came.
		expect(writes).toContainEqual({operation: 'add', key: `knouds-retry:admitted:${t0}`, ttlMs: 60_000});
		expect(writes).toContainEqual({operation: 'set', key: `knouds-retry:first:${t0}`, ttlMs: 60_000});
		expect(writes).toContainEqual({operation: 'add', key: `knouds-retry:grown:${t0}`, ttlMs: 60_000});
		expect(writes.filter(write => write.key.endsWith(`:${t0}`))).toHaveLength(3);
	});

	it('marks for good that a latch was set, so that later calls know to look for one', async () => {
		useFakeClock();
		const {store, writes} = recording();
		const coordinator = createCoordinator(resolveCoordination({store}));
		const admission = await coordinator.admit(scope);
		if (admission.kind !== 'send') {
			throw new Error('not sent');
		}

		await coordinator.observe(scope, admission, {status: 401, code: undefined, retryAfterMs: undefined, body: undefined});
		expect(writes).toContainEqual({operation: 'set', key: 'knouds-retry:latch', ttlMs: Number.POSITIVE_INFINITY});
		expect(await store.get('knouds-retry:latch')).toBe('1');
	});
});

describe('KnoudsStoreError', () => {
	it('is named, says which operation failed, and keeps the store\'s error as its cause', () => {
		const cause = new Error('connection refused');
		const error = new KnoudsStoreError('get', 'The store\'s `get` failed: connection refused', cause);
		expect(error).toMatchObject({name: 'KnoudsStoreError', operation: 'get', cause});
		expect(String(error)).toBe('KnoudsStoreError: The store\'s `get` failed: connection refused');
		expect(Object.hasOwn(new KnoudsStoreError('set', 'timed out'), 'cause')).toBe(false);
	});
});

describe('store fault options', () => {
	it('refuses an onStoreError that is not a function, and a failOnStoreError that is not a boolean', () => {
		expect(() => resolveCoordination({onStoreError: 'log'} as never)).toThrow(new TypeError('Expected `onStoreError` to be a function, got \'log\'.'));
		expect(() => resolveCoordination({failOnStoreError: 'yes'} as never)).toThrow(new TypeError('Expected `failOnStoreError` to be a boolean, got \'yes\'.'));
		expect(() => resolveCoordination({storeTimeout: 0})).toThrow(new TypeError('Expected `storeTimeout` to be a positive number, got 0.'));
	});
});
