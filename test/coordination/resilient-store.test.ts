import {afterEach, describe, expect, it, vi} from 'vitest';
import {createMemoryStore} from '../../src/coordination/memory-store.js';
import {KnoudsStoreError, resilientStore} from '../../src/coordination/resilient-store.js';
import type {KnoudsStore, StoreOp} from '../../src/coordination/store.js';
import {primitives} from '../support/store-ops.js';

const faults = {timeoutMs: 100, onError: undefined, fail: false};

afterEach(() => {
	vi.useRealTimers();
});

/** A store that is not the built-in one (so that it is guarded), running its steps on `inner`. */
const sharedOn = (inner: KnoudsStore): KnoudsStore => ({run: async ops => inner.run(ops)});

/** A store whose steps fail (or do what `fails` says) when they hold an operation named `name`, and run on `inner` otherwise. */
const failingOn = (name: StoreOp['op'], fails: () => Promise<never>, inner: KnoudsStore = createMemoryStore()): KnoudsStore => ({
	run: async ops => ops.some(op => op.op === name) ? fails() : inner.run(ops),
});

const paceOp = {op: 'pace', key: 'p', intervalMs: 100, burst: 1, ttlMs: 60_000} as const;

describe('resilientStore()', () => {
	it('hands back the built-in memory store as it is, with no timer around its steps', () => {
		const store = createMemoryStore();
		expect(resilientStore(store, faults)).toBe(store);
	});

	it('answers from the shared store while it works', async () => {
		const shared = createMemoryStore();
		const store = primitives(resilientStore(sharedOn(shared), faults));
		await store.set('k', 'v', 60_000);
		expect(await primitives(shared).get('k')).toBe('v');
		expect(await store.add('n', 2, {initial: 1, max: 10, ttlMs: 60_000})).toBe(3);
	});

	it('hands on the shared store\'s answer as it is: its clock, its results and whether it stopped', async () => {
		let time = 5000;
		const shared = createMemoryStore(() => time);
		const store = resilientStore(sharedOn(shared), faults);
		await primitives(shared).set('gate', '9000', 60_000);
		expect(await store.run([{op: 'get', key: 'gate'}, {op: 'absent', key: 'gate'}, {op: 'set', key: 'after', value: 'x', ttlMs: 1000}])).toEqual({now: 5000, results: ['9000', '9000'], stopped: true});
		time = 6000;
		expect(await store.run([])).toEqual({now: 6000, results: [], stopped: false});
	});

	it('paces from the shared store while it works, so that processes sharing it share one bucket', async () => {
		let time = 1000;
		const shared = createMemoryStore(() => time);
		const store = resilientStore(sharedOn(shared), faults);
		expect(await store.run([paceOp])).toEqual({now: 1000, results: [0], stopped: false});
		expect(await primitives(shared).get('p')).toBe('0@1100');
		expect(await shared.run([paceOp])).toEqual({now: 1000, results: [200], stopped: true});
		time = 1200;
		expect((await store.run([paceOp])).results).toEqual([0]);
	});

	it('paces on its own state when the shared store\'s step fails, and says so with the step\'s operations named', async () => {
		vi.useFakeTimers();
		const errors: Error[] = [];
		const broken = new Error('down');
		const shared = failingOn('pace', async () => Promise.reject(broken));
		const store = resilientStore(shared, {...faults, onError: error => errors.push(error)});
		expect(await store.run([{op: 'absent', key: 'gate'}, paceOp])).toEqual({now: Date.now(), results: [undefined, 0], stopped: false});
		expect(await store.run([paceOp])).toEqual({now: Date.now(), results: [200], stopped: true});
		expect(errors).toHaveLength(1);
		expect(errors[0]).toBeInstanceOf(KnoudsStoreError);
		expect(errors[0]).toMatchObject({operation: 'absent+pace', cause: broken, message: 'The store failed a step (absent+pace): down'});
	});

	it('fails a step the shared store does not answer in time with failOnStoreError, naming its operations', async () => {
		vi.useFakeTimers();
		const shared = failingOn('pace', async () => new Promise<never>(() => undefined));
		const store = resilientStore(shared, {...faults, fail: true});
		const pending = store.run([paceOp]);
		const [error] = await Promise.all([pending.catch((error_: unknown) => error_), vi.advanceTimersByTimeAsync(100)]);
		expect(error).toBeInstanceOf(KnoudsStoreError);
		expect(error).toMatchObject({operation: 'pace', message: 'The store did not answer a step (pace) within 100 ms (`storeTimeout`).'});
		expect(vi.getTimerCount()).toBe(0);
	});

	it('survives an onStoreError that throws, and a store that throws before returning a promise', async () => {
		const shared: KnoudsStore = {
			run() {
				throw new Error('sync');
			},
		};
		const store = resilientStore(shared, {...faults, onError() {
			throw new Error('callback');
		}});
		expect(await primitives(store).get('k')).toBeUndefined();
	});

	it('keeps what it wrote while the store was down in its own state, and leaves no timer behind', async () => {
		vi.useFakeTimers();
		const shared = failingOn('set', async () => Promise.reject(new Error('down')));
		const store = primitives(resilientStore(shared, faults));
		await store.set('k', 'v', 60_000);
		expect(await store.get('k')).toBe('v');
		expect(vi.getTimerCount()).toBe(0);
	});

	it.each([
		['undefined', undefined],
		['a number', 0],
		['an answer without its clock', {results: [], stopped: false}],
		['an answer whose clock is not finite', {now: Number.NaN, results: [], stopped: false}],
		['an answer whose results are not a list', {now: 0, results: 'ok', stopped: false}],
		['an answer that does not say whether it stopped', {now: 0, results: []}],
	])('takes a store that answers %s for a store that failed, and names the step', async (_name, answer) => {
		const errors: Error[] = [];
		const store = resilientStore({run: async () => answer as never}, {...faults, onError: error => errors.push(error)});
		expect(await store.run([{op: 'absent', key: 'gate'}, {op: 'init', key: 'limit', value: '{}', ttlMs: 1000}])).toMatchObject({results: [undefined, '{}'], stopped: false});
		expect(errors).toHaveLength(1);
		expect(errors[0]).toBeInstanceOf(KnoudsStoreError);
		expect(errors[0]).toMatchObject({operation: 'absent+init', message: 'The store answered a step (absent+init) with something that is not `{now, results, stopped}`.'});
	});

	it('fails a step whose answer is not a step\'s answer with failOnStoreError', async () => {
		const store = resilientStore({run: async () => 'OK' as never}, {...faults, fail: true});
		await expect(store.run([{op: 'get', key: 'k'}])).rejects.toMatchObject({name: 'KnoudsStoreError', operation: 'get'});
	});

	it('goes back to the shared store a second after it failed, and not before', async () => {
		vi.useFakeTimers();
		let down = true;
		let asked = 0;
		const inner = createMemoryStore();
		const store = resilientStore({
			async run(ops) {
				asked++;
				return down ? Promise.reject(new Error('down')) : inner.run(ops);
			},
		}, faults);
		await store.run([]);
		down = false;
		await vi.advanceTimersByTimeAsync(999);
		await store.run([]);
		expect(asked).toBe(1);
		await vi.advanceTimersByTimeAsync(1);
		await store.run([]);
		expect(asked).toBe(2);
	});
});
