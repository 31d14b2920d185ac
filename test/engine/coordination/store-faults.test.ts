import {beforeAll, describe, expect, it, vi} from 'vitest';
import {createMemoryStore, KnoudsStoreError, type KnoudsStore, type StoreOp} from '../../../src/index.js';
import {api, arrivals} from '../../support/http.js';
import {until, useFakeClock} from '../../support/clock.js';
import {clientSurfaces, warmUp} from './clients.js';
import type {Outcome} from '../../support/surfaces.js';

beforeAll(warmUp);

/**
A memory store whose steps that hold an operation named `name` (every step, without a name) do
`operation` instead, and a count of those steps.
*/
const storeWith = (name: StoreOp['op'] | undefined, operation: () => Promise<never>): KnoudsStore & {calls: () => number} => {
	let count = 0;
	const inner = createMemoryStore();
	return {
		async run(ops) {
			if (name === undefined || ops.some(op => op.op === name)) {
				count++;
				return operation();
			}

			return inner.run(ops);
		},
		calls: () => count,
	};
};

// A call's first step: whether a latch was ever set, the gate, and the record of the limit (a first call makes it).
const admitStep = 'absent+absent+get';

const never = async (): Promise<never> => new Promise(() => undefined);

const settled = (promise: Promise<Outcome>): {outcome: Outcome | undefined} => {
	const box: {outcome: Outcome | undefined} = {outcome: undefined};
	void promise.then(outcome => {
		box.outcome = outcome;
	});
	return box;
};

describe.each(clientSurfaces)('$name', surface => {
	it('carries on with its own state when the store fails, sends the request, and says so through onStoreError', async () => {
		const seen = arrivals();
		const broken = new Error('store unreachable');
		const errors: Error[] = [];
		api().get('/run').reply(seen.reply(200, {ok: true}));
		const outcome = await surface.run({path: '/run'}, {store: storeWith(undefined, async () => Promise.reject(broken)), onStoreError: error => errors.push(error)});
		expect(outcome).toEqual({kind: 'ok', status: 200, body: {ok: true}});
		expect(seen.times).toHaveLength(1);
		expect(errors[0]).toBeInstanceOf(KnoudsStoreError);
		expect(errors[0]).toMatchObject({operation: admitStep, cause: broken, message: `The store failed a step (${admitStep}): store unreachable`});
	});

	it('fails a call it cannot admit with a KnoudsStoreError carrying the store\'s error when failOnStoreError is set, sending nothing', async () => {
		const seen = arrivals();
		const broken = new Error('store unreachable');
		api().get('/run').optionally().reply(seen.reply(200, {}));
		const outcome = await surface.run({path: '/run'}, {store: storeWith(undefined, async () => Promise.reject(broken)), failOnStoreError: true});
		expect(outcome.kind).toBe('thrown');
		const error = outcome.kind === 'thrown' ? outcome.error : undefined;
		expect(error).toBeInstanceOf(KnoudsStoreError);
		expect(error).toMatchObject({operation: admitStep, cause: broken});
		expect(seen.times).toHaveLength(0);
	});

	it('sends the call once a store step that never settles has had its storeTimeout', async () => {
		useFakeClock();
		const seen = arrivals();
		const errors: Error[] = [];
		api().get('/run').reply(seen.reply(200, {ok: true}));
		const store = storeWith(undefined, never);
		const box = settled(surface.run({path: '/run'}, {timeout: false, store, storeTimeout: 300, onStoreError: error => errors.push(error)}));
		await until(() => store.calls() === 1);
		await vi.advanceTimersByTimeAsync(299);
		expect(seen.times).toHaveLength(0);
		await vi.advanceTimersByTimeAsync(1);
		await until(() => box.outcome !== undefined);
		expect(box.outcome).toEqual({kind: 'ok', status: 200, body: {ok: true}});
		expect(errors.map(error => error.message)).toEqual([`The store did not answer a step (${admitStep}) within 300 ms (\`storeTimeout\`).`]);
	});

	it('ends a call held by a store that never answers at the caller\'s abort, long before storeTimeout', async () => {
		const controller = new AbortController();
		const store = storeWith(undefined, never);
		const pending = surface.run({path: '/run', signal: controller.signal}, {store, storeTimeout: 60_000});
		await until(() => store.calls() === 1);
		const reason = new Error('caller gave up');
		controller.abort(reason);
		const outcome = await pending;
		expect(outcome).toEqual({kind: 'thrown', error: reason});
	});

	it('ends a call held by a store that never answers at its total timeout, long before storeTimeout', async () => {
		useFakeClock();
		const store = storeWith(undefined, never);
		const box = settled(surface.run({path: '/run'}, {timeout: false, totalTimeout: 500, store, storeTimeout: 60_000}));
		await until(() => store.calls() === 1);
		await vi.advanceTimersByTimeAsync(500);
		await until(() => box.outcome !== undefined);
		expect(box.outcome?.kind).toBe('thrown');
		expect(box.outcome?.kind === 'thrown' && (box.outcome.error as Error).name).toBe('TimeoutError');
	});

	it.each([false, true])('delivers a success whose report to the store never settles (failOnStoreError: %s)', async failOnStoreError => {
		useFakeClock();
		api().get('/run').reply(200, {ok: true});
		// The success's report earns retry budget: a step with the store's `add`.
		const store = storeWith('add', never);
		const box = settled(surface.run({path: '/run'}, {timeout: false, store, storeTimeout: 200, failOnStoreError}));
		await until(() => store.calls() === 1);
		await vi.advanceTimersByTimeAsync(200);
		await until(() => box.outcome !== undefined);
		expect(box.outcome).toEqual({kind: 'ok', status: 200, body: {ok: true}});
	});

	it('goes back to the shared store a second after it failed', async () => {
		useFakeClock();
		let down = true;
		const shared = createMemoryStore();
		let asked = 0;
		const store: KnoudsStore = {async run(ops) {
			asked++;
			return down ? Promise.reject(new Error('down')) : shared.run(ops);
		}};
		api().get('/run').times(3).reply(200, {});
		const client = surface.create({timeout: false, store});
		await client({path: '/run'});
		const afterFailure = asked;
		down = false;
		await client({path: '/run'});
		expect(asked).toBe(afterFailure);
		await vi.advanceTimersByTimeAsync(1000);
		await client({path: '/run'});
		expect(asked).toBeGreaterThan(afterFailure);
	});
});
