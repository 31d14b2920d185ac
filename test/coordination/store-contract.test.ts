import {describe, expect, it, vi} from 'vitest';
import {useFakeClock} from '../support/clock.js';
import {primitives, recording} from '../support/store-ops.js';
import {createCoordinator, type AttemptScope} from '../../src/coordination/coordinator.js';
import {createMemoryStore} from '../../src/coordination/memory-store.js';
import {resolveCoordination, type CoordinationOptions} from '../../src/coordination/options.js';
import {KnoudsStoreError} from '../../src/coordination/resilient-store.js';

// What a store implementer and an operator see: the keys a client writes, for how long, and the
// errors a store fault is reported with. A store shared across processes (and versions) relies on them.

const scope = {request: {headers: {'x-api-key': 'kn_test'}, url: 'https://api.knouds.test/v1/models/flux/run', signal: undefined}, deadline: undefined, maxRetryAfter: 60_000, first: true};

const ok = {status: 200, code: undefined, retryAfterMs: undefined, body: undefined} as const;

/** A client's coordinator over a recording memory store on the fake clock. */
const client = (options: CoordinationOptions = {}) => {
	useFakeClock();
	const memory = createMemoryStore();
	const recorded = recording(memory);
	return {...recorded, inner: primitives(memory), coordinator: createCoordinator(resolveCoordination({store: recorded.store, ...options}))};
};

const sent = async (admission: ReturnType<ReturnType<typeof createCoordinator>['admit']>) => {
	const result = await admission;
	if (result.kind !== 'send') {
		throw new Error('not sent');
	}

	return result;
};

describe('the keys a client writes to its store', () => {
	it('names the record of the limit, the pacer and the retry budget, with no prefix of its own', async () => {
		const {coordinator, writes} = client({rateLimit: {requestsPerMinute: 0.5}});
		const admission = await sent(coordinator.admit(scope));
		await coordinator.observe(scope, admission, ok);
		await coordinator.spend();
		// The pacer's next slot is kept at least a minute, and twice its spacing when that is longer.
		expect(writes()).toContainEqual({operation: 'reserve', key: 'pace', ttlMs: 240_000});
		expect(writes()).toContainEqual({operation: 'init', key: 'limit', ttlMs: 3_600_000});
		expect(writes()).toContainEqual({operation: 'add', key: 'budget', ttlMs: Number.POSITIVE_INFINITY});
		expect(writes()).toContainEqual({operation: 'take', key: 'budget', ttlMs: Number.POSITIVE_INFINITY});
	});

	it('keeps the pacer\'s slot a minute at least', async () => {
		const {coordinator, writes} = client({rateLimit: {requestsPerMinute: 600}});
		await coordinator.admit(scope);
		expect(writes()).toContainEqual({operation: 'reserve', key: 'pace', ttlMs: 60_000});
	});

	it('names the learned pace\'s bucket and its cycle\'s counts by the cycle, kept until its window ends and a while after', async () => {
		const {coordinator, inner, writes, ops} = client();
		const t0 = Date.now();
		await inner.set('limit', JSON.stringify({until: 0, cycle: t0, learned: {admitted: 2, windowMs: 60_000, at: t0}}), 3_600_000);
		await coordinator.admit(scope);
		await coordinator.admit(scope);
		// Taken at the start of its minute: kept to its end, and ten seconds more.
		expect(writes()).toContainEqual({operation: 'pace', key: `paced:${t0}`, ttlMs: 70_000});
		// Two a minute learned: paced at four a minute beyond the burst, so the third waits half a minute.
		const third = sent(coordinator.admit(scope));
		await vi.advanceTimersByTimeAsync(30_000);
		const admission = await third;
		ops.length = 0;
		await coordinator.observe(scope, admission, ok);
		// Counted half a minute into the cycle: kept twice its age, as is when its first answer came.
		expect(writes()).toContainEqual({operation: 'add', key: `admitted:${t0}`, ttlMs: 60_000});
		expect(writes()).toContainEqual({operation: 'stamp', key: `first:${t0}`, ttlMs: 60_000});
		expect(writes()).toContainEqual({operation: 'add', key: `grown:${t0}`, ttlMs: 60_000});
		expect(writes().filter(write => write.key.endsWith(`:${t0}`))).toHaveLength(3);
	});

	it('closes the gate in a key of its own, holding when it opens on the store\'s clock and expiring then', async () => {
		const {coordinator, inner, ops, steps} = client();
		const t0 = Date.now();
		const admission = await sent(coordinator.admit(scope));
		await coordinator.observe(scope, admission, {status: 429, code: 'RATE_LIMIT_EXCEEDED', retryAfterMs: 5000, body: undefined});
		// With the step that reads what the 429 teaches, and again with the step that writes the lesson.
		expect(ops.filter(op => op.key === 'gate' && op.op !== 'absent')).toEqual([{op: 'setUntil', key: 'gate', until: t0 + 5000}, {op: 'setUntil', key: 'gate', until: t0 + 5000}]);
		expect(steps[steps.length - 2]?.map(op => op.op)).toEqual(['get', 'get', 'get', 'get', 'setUntil']);
		expect(await inner.get('gate')).toBe(String(t0 + 5000));
		await vi.advanceTimersByTimeAsync(5000);
		expect(await inner.get('gate')).toBeUndefined();
	});

	it('marks for good that a latch was set, so that later calls know to look for one', async () => {
		const {coordinator, inner, writes} = client();
		const admission = await sent(coordinator.admit(scope));
		await coordinator.observe(scope, admission, {status: 401, code: undefined, retryAfterMs: undefined, body: undefined});
		expect(writes()).toContainEqual({operation: 'set', key: 'latch', ttlMs: Number.POSITIVE_INFINITY});
		expect(await inner.get('latch')).toBe('1');
	});

	it('names a latch by what it holds and the digest of the key it holds, kept for its time', async () => {
		const {coordinator, writes} = client({latch: {INSUFFICIENT_CREDITS: 60_000, grant_exhausted: 3_600_000}});
		const answer = (status: number, code: string | undefined) => ({status, code, retryAfterMs: undefined, body: undefined});
		for (const [status, code] of [[402, 'INSUFFICIENT_CREDITS'], [402, 'grant_exhausted'], [401, undefined]] as const) {
			await coordinator.observe(scope, await sent(coordinator.admit({...scope, first: false})), answer(status, code));
		}

		const latches = writes().filter(write => write.key.startsWith('latch:'));
		expect(latches).toEqual([
			{operation: 'set', key: expect.stringMatching(/^latch:credits:[\da-f]{32}$/) as string, ttlMs: 60_000},
			{operation: 'set', key: expect.stringMatching(/^latch:grant:\/v1\/models\/flux\/run:[\da-f]{32}$/) as string, ttlMs: 3_600_000},
			{operation: 'set', key: expect.stringMatching(/^latch:key:[\da-f]{32}$/) as string, ttlMs: Number.POSITIVE_INFINITY},
		]);
	});

	it('touches no key but the ones it documents, whatever a client goes through', async () => {
		const {coordinator, ops} = client({rateLimit: {requestsPerMinute: 600}, latch: {INSUFFICIENT_CREDITS: 60_000}});
		const attempt = async (status: number, code?: string, retryAfterMs?: number, overrides: Partial<AttemptScope> = {}): Promise<void> => {
			const pending = sent(coordinator.admit({...scope, ...overrides}));
			await vi.advanceTimersByTimeAsync(10_000);
			await coordinator.observe(scope, await pending, {status, code, retryAfterMs, body: undefined});
		};

		for (let index = 0; index < 3; index++) {
			await attempt(200);
		}

		await attempt(429, 'RATE_LIMIT_EXCEEDED', 1000);
		await coordinator.spend();
		for (let index = 0; index < 3; index++) {
			await attempt(200);
		}

		await attempt(402, 'INSUFFICIENT_CREDITS');
		await attempt(200, undefined, undefined, {first: false});
		const keys = new Set(ops.map(op => op.key));
		for (const key of keys) {
			expect(key).toMatch(/^(?:limit|gate|pace|budget|latch|latch:(?:key|credits|grant:[^:]+):[\da-f]{32}|(?:paced|admitted|grown|first):\d+)$/);
		}

		expect([...keys].filter(key => /^[a-z]+$/.test(key)).sort()).toEqual(['budget', 'gate', 'latch', 'limit', 'pace']);
		expect([...keys].some(key => key.startsWith('paced:'))).toBe(true);
	});
});

describe('KnoudsStoreError', () => {
	it('is named, says which step failed by its operations, and keeps the store\'s error as its cause', () => {
		const cause = new Error('connection refused');
		const error = new KnoudsStoreError('absent+init', 'The store failed a step (absent+init): connection refused', cause);
		expect(error).toMatchObject({name: 'KnoudsStoreError', operation: 'absent+init', cause});
		expect(String(error)).toBe('KnoudsStoreError: The store failed a step (absent+init): connection refused');
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
