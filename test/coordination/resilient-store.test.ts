import {afterEach, describe, expect, it, vi} from 'vitest';
import {resilientStore} from '../../src/coordination/resilient-store.js';
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
