import {afterEach, describe, expect, it, vi} from 'vitest';
import {KnoudsStoreError, resilientStore} from '../../src/coordination/resilient-store.js';
import {createMemoryStore, type KnoudsStore} from '../../src/coordination/store.js';

const faults = {timeoutMs: 100, onError: undefined, fail: false};

afterEach(() => {
	vi.useRealTimers();
});

describe('resilientStore()', () => {
	it('hands back the built-in memory store as it is, with no timer around its operations', () => {
		const store = createMemoryStore();
		expect(resilientStore(store, faults)).toBe(store);
	});

	it('answers from the shared store while it works', async () => {
		const shared = createMemoryStore();
		const store = resilientStore({...shared}, faults);
		await store.set('k', 'v', 60_000);
		expect(await shared.get('k')).toBe('v');
		expect(await store.add('n', 2, {initial: 1, max: 10, ttlMs: 60_000})).toBe(3);
	});

	it('paces from the shared store while it works, so that processes sharing it share one bucket', async () => {
		const shared = createMemoryStore();
		const store = resilientStore({...shared}, faults);
		const bucket = {intervalMs: 100, burst: 1, now: 1000, ttlMs: 60_000};
		expect(await store.pace('p', bucket)).toBe(0);
		expect(await shared.get('p')).toBe('0@1100');
		expect(await shared.pace('p', bucket)).toBe(200);
	});

	it('paces on its own state when the shared store\'s pace fails, and says so with the operation named', async () => {
		const errors: Error[] = [];
		const broken = new Error('down');
		const shared: KnoudsStore = {...createMemoryStore(), async pace() {
			return Promise.reject(broken);
		}};
		const store = resilientStore(shared, {...faults, onError: error => errors.push(error)});
		const bucket = {intervalMs: 100, burst: 1, now: 1000, ttlMs: 60_000};
		expect(await store.pace('p', bucket)).toBe(0);
		expect(await store.pace('p', bucket)).toBe(200);
		expect(errors).toHaveLength(1);
		expect(errors[0]).toBeInstanceOf(KnoudsStoreError);
		expect(errors[0]).toMatchObject({operation: 'pace', cause: broken, message: 'The store\'s `pace` failed: down'});
	});

	it('fails a pace the shared store does not answer in time with failOnStoreError, naming the operation', async () => {
		vi.useFakeTimers();
		const shared: KnoudsStore = {...createMemoryStore(), pace: async () => new Promise<number>(() => undefined)};
		const store = resilientStore(shared, {...faults, fail: true});
		const pending = store.pace('p', {intervalMs: 100, burst: 1, now: 1000, ttlMs: 60_000});
		const [error] = await Promise.all([pending.catch((error_: unknown) => error_), vi.advanceTimersByTimeAsync(100)]);
		expect(error).toBeInstanceOf(KnoudsStoreError);
		expect(error).toMatchObject({operation: 'pace', message: 'The store\'s `pace` did not answer within 100 ms (`storeTimeout`).'});
		expect(vi.getTimerCount()).toBe(0);
	});

	it('survives an onStoreError that throws, and a store that throws before returning a promise', async () => {
		const shared: KnoudsStore = {...createMemoryStore(), get() {
			throw new Error('sync');
		}};
		const store = resilientStore(shared, {...faults, onError() {
			throw new Error('callback');
		}});
		expect(await store.get('k')).toBeUndefined();
	});

	it('keeps what it wrote while the store was down in its own state, and leaves no timer behind', async () => {
		vi.useFakeTimers();
		const shared: KnoudsStore = {...createMemoryStore(), async set() {
			return Promise.reject(new Error('down'));
		}};
		const store = resilientStore(shared, faults);
		await store.set('k', 'v', 60_000);
		expect(await store.get('k')).toBe('v');
		expect(vi.getTimerCount()).toBe(0);
	});
});
