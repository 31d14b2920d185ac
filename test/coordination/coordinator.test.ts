import {describe, expect, it, vi} from 'vitest';
import {until, useFakeClock} from '../support/clock.js';
import {createCoordinator, type Admission, type AttemptScope} from '../../src/coordination/coordinator.js';
import {resolveCoordination, type CoordinationOptions} from '../../src/coordination/options.js';
import {createMemoryStore} from '../../src/coordination/memory-store.js';
import type {Sent} from '../../src/coordination/window.js';
import {primitives, recording} from '../support/store-ops.js';

// The coordinator on its own, over a memory store on the fake clock: when an attempt is let through,
// held or refused, to the millisecond.

const scope = (overrides: Partial<AttemptScope> = {}): AttemptScope => ({
	request: {headers: {'x-api-key': 'kn_test'}, url: 'https://api.knouds.test/v1/models/flux/run', signal: undefined},
	deadline: undefined,
	maxRetryAfter: Number.POSITIVE_INFINITY,
	first: true,
	...overrides,
});

const withSignal = (signal: AbortSignal, overrides: Partial<AttemptScope> = {}): AttemptScope =>
	scope({...overrides, request: {...scope().request, signal}});

const ok = {status: 200, code: undefined, retryAfterMs: undefined, body: undefined} as const;
const rateLimited = (retryAfterMs: number) => ({status: 429, code: 'RATE_LIMIT_EXCEEDED', retryAfterMs, body: undefined}) as const;

/**
A coordinator on the fake clock, over a memory store whose steps are recorded. `inner` reads and sets
the store's keys directly, a step each; `reads` says when a step looked at the record of the limit.
*/
const setUp = (options: CoordinationOptions = {}) => {
	useFakeClock();
	const memory = createMemoryStore();
	const reads: number[] = [];
	const recorded = recording({
		async run(ops) {
			if (ops.some(op => op.key === 'limit')) {
				reads.push(Date.now());
			}

			return memory.run(ops);
		},
	});
	const coordinator = createCoordinator(resolveCoordination({store: recorded.store, ...options}));
	return {coordinator, memory, inner: primitives(memory), steps: recorded.steps, reads, t0: Date.now()};
};

/** An admission under way, whose result can be looked at before it settles. */
const pending = (promise: Promise<Admission>) => {
	const state: {result: Admission | undefined; error: unknown} = {result: undefined, error: undefined};
	promise.then(result => {
		state.result = result;
	}, (error: unknown) => {
		state.error = error;
	});
	return state;
};

const sent = (admission: Admission | undefined): Sent => {
	if (admission?.kind !== 'send') {
		throw new Error(`Expected the attempt to be sent, got ${JSON.stringify(admission)}`);
	}

	return admission;
};

/** Learns a window that admits `admitted` requests per `windowMs`, its cycle starting now: as the store would hold it after a 429. */
const learnWindow = async (store: {set: (key: string, value: string, ttlMs: number) => Promise<void>}, admitted: number, windowMs: number): Promise<void> => {
	const now = Date.now();
	await store.set('limit', JSON.stringify({until: 0, cycle: now, learned: {admitted, windowMs, at: now}}), 3_600_000);
};

const noRetryAfter = {status: 429, code: undefined, retryAfterMs: undefined, body: undefined} as const;

describe('the Retry-After gate', () => {
	it('holds an attempt exactly until the gate opens, then lets it through', async () => {
		const {coordinator, t0} = setUp();
		await coordinator.observe(scope(), sent(await coordinator.admit(scope())), rateLimited(5000));
		const next = pending(coordinator.admit(scope()));
		await vi.advanceTimersByTimeAsync(4999);
		expect(next.result).toBeUndefined();
		await vi.advanceTimersByTimeAsync(1);
		expect(next.result).toMatchObject({kind: 'send', sentAt: t0 + 5000});
	});

	it('refuses at once, with the wait, an attempt whose total timeout ends when the gate opens, and waits for one that ends a millisecond later', async () => {
		const {coordinator, t0} = setUp();
		await coordinator.observe(scope(), sent(await coordinator.admit(scope())), rateLimited(5000));
		expect(await coordinator.admit(scope({deadline: t0 + 5000}))).toEqual({kind: 'gated', retryAfterMs: 5000, reason: 'total-timeout'});
		const later = pending(coordinator.admit(scope({deadline: t0 + 5001})));
		await vi.advanceTimersByTimeAsync(5000);
		expect(later.result).toMatchObject({kind: 'send', sentAt: t0 + 5000});
	});

	it('refuses at once an attempt that would wait longer than maxRetryAfter, and waits for one that allows exactly the wait', async () => {
		const {coordinator, t0} = setUp();
		await coordinator.observe(scope(), sent(await coordinator.admit(scope())), rateLimited(5000));
		expect(await coordinator.admit(scope({maxRetryAfter: 4999}))).toEqual({kind: 'gated', retryAfterMs: 5000, reason: 'retry-after-too-long'});
		const patient = pending(coordinator.admit(scope({maxRetryAfter: 5000})));
		await vi.advanceTimersByTimeAsync(5000);
		expect(patient.result).toMatchObject({kind: 'send', sentAt: t0 + 5000});
	});

	it('holds an attempt at a gate another process closed, by the gate\'s own key, until it expires', async () => {
		const {coordinator, inner, t0} = setUp();
		await inner.set('gate', String(t0 + 3000), 3000);
		const next = pending(coordinator.admit(scope()));
		await vi.advanceTimersByTimeAsync(2999);
		expect(next.result).toBeUndefined();
		await vi.advanceTimersByTimeAsync(1);
		expect(next.result).toMatchObject({kind: 'send', sentAt: t0 + 3000});
	});

	it('keeps the gate in its own key for the Retry-After, holding when it opens', async () => {
		const {coordinator, inner, t0} = setUp();
		await coordinator.observe(scope(), sent(await coordinator.admit(scope())), rateLimited(5000));
		expect(await inner.get('gate')).toBe(String(t0 + 5000));
		await vi.advanceTimersByTimeAsync(4999);
		expect(await inner.get('gate')).toBe(String(t0 + 5000));
		await vi.advanceTimersByTimeAsync(1);
		expect(await inner.get('gate')).toBeUndefined();
	});

	it('looks at a garbled gate again each second until it expires, not in a loop', async () => {
		const {coordinator, inner, steps, t0} = setUp();
		await inner.set('gate', 'garbage', 2500);
		const next = pending(coordinator.admit(scope()));
		await vi.advanceTimersByTimeAsync(999);
		expect(steps).toHaveLength(1);
		await vi.advanceTimersByTimeAsync(2001);
		expect(steps).toHaveLength(4);
		expect(next.result).toMatchObject({kind: 'send', sentAt: t0 + 3000});
	});

	it('lets a 429 without a Retry-After close nothing', async () => {
		const {coordinator, t0} = setUp();
		await coordinator.observe(scope(), sent(await coordinator.admit(scope())), {status: 429, code: undefined, retryAfterMs: undefined, body: undefined});
		expect(await coordinator.admit(scope())).toMatchObject({kind: 'send', sentAt: t0});
	});

	it('lets everything through at once with retryAfterGate: false, and never reads the record of the limit', async () => {
		const {coordinator, reads, steps, t0} = setUp({retryAfterGate: false});
		await coordinator.observe(scope(), sent(await coordinator.admit(scope())), rateLimited(5000));
		expect(await coordinator.admit(scope())).toEqual({kind: 'send', sentAt: t0, cycle: undefined});
		expect(reads).toEqual([]);
		expect(steps.flat().filter(op => op.key === 'gate')).toEqual([]);
	});
});

describe('the pacer', () => {
	it('gives a second attempt the next slot, an interval after the first', async () => {
		const {coordinator, t0} = setUp({rateLimit: {requestsPerMinute: 60}});
		expect(await coordinator.admit(scope())).toMatchObject({kind: 'send', sentAt: t0});
		const second = pending(coordinator.admit(scope()));
		await vi.advanceTimersByTimeAsync(999);
		expect(second.result).toBeUndefined();
		await vi.advanceTimersByTimeAsync(1);
		expect(second.result).toMatchObject({kind: 'send', sentAt: t0 + 1000});
	});

	it('does not send an attempt into a gate that a 429 closed while the pacer held it', async () => {
		const {coordinator, t0} = setUp({rateLimit: {requestsPerMinute: 60}});
		const first = sent(await coordinator.admit(scope()));
		const second = pending(coordinator.admit(scope()));
		// The second attempt sleeps on its pace slot, a second away, when the first one's 429 closes the gate.
		await until(() => vi.getTimerCount() === 1);
		await coordinator.observe(scope(), first, rateLimited(5000));
		await vi.advanceTimersByTimeAsync(1000);
		expect(second.result).toBeUndefined();
		await vi.advanceTimersByTimeAsync(4000);
		expect(second.result).toMatchObject({kind: 'send', sentAt: t0 + 5000});
	});

	it('refuses at once an attempt whose total timeout ends at its slot, and waits for one that ends a millisecond later', async () => {
		const {coordinator, t0} = setUp({rateLimit: {requestsPerMinute: 60}});
		await coordinator.admit(scope());
		expect(await coordinator.admit(scope({deadline: t0 + 1000}))).toEqual({kind: 'deadline'});
		const later = pending(coordinator.admit(scope({deadline: t0 + 2001})));
		await vi.advanceTimersByTimeAsync(2000);
		expect(later.result).toMatchObject({kind: 'send', sentAt: t0 + 2000});
	});

	it('ends a wait for a slot at the caller\'s abort, with its reason', async () => {
		const {coordinator} = setUp({rateLimit: {requestsPerMinute: 60}});
		await coordinator.admit(scope());
		const controller = new AbortController();
		const second = pending(coordinator.admit(withSignal(controller.signal)));
		await vi.advanceTimersByTimeAsync(500);
		const reason = new Error('cancelled');
		controller.abort(reason);
		await vi.advanceTimersByTimeAsync(0);
		expect(second.error).toBe(reason);
		expect(vi.getTimerCount()).toBe(0);
	});
});

describe('a learned limit', () => {
	// Two per second learned: the burst of two goes at once, and the pacer goes on at four per second,
	// so the third attempt waits two intervals (500 ms) and each one after it an interval (250 ms).

	it('lets the learned burst through at once, then holds the next attempt two intervals, and lets it go, paced, when they are over', async () => {
		const {coordinator, inner, t0} = setUp();
		await learnWindow(inner, 2, 1000);
		const burst = [sent(await coordinator.admit(scope())), sent(await coordinator.admit(scope()))];
		expect(burst).toEqual([{kind: 'send', sentAt: t0, cycle: t0, windowMs: 1000, paced: false}, {kind: 'send', sentAt: t0, cycle: t0, windowMs: 1000, paced: false}]);
		const held = pending(coordinator.admit(scope()));
		await vi.advanceTimersByTimeAsync(499);
		expect(held.result).toBeUndefined();
		await vi.advanceTimersByTimeAsync(1);
		expect(held.result).toEqual({kind: 'send', sentAt: t0 + 500, cycle: t0, windowMs: 1000, paced: true});
	});

	it('lets attempts held together go an interval apart, not all at once when their first wait ends', async () => {
		const {coordinator, inner, t0} = setUp();
		await learnWindow(inner, 2, 1000);
		await coordinator.admit(scope());
		await coordinator.admit(scope());
		const held = [pending(coordinator.admit(scope())), pending(coordinator.admit(scope())), pending(coordinator.admit(scope()))];
		await vi.advanceTimersByTimeAsync(500);
		expect(held.map(state => state.result?.kind)).toEqual(['send', undefined, undefined]);
		await vi.advanceTimersByTimeAsync(250);
		expect(held.filter(state => state.result !== undefined)).toHaveLength(2);
		await vi.advanceTimersByTimeAsync(250);
		expect(held.map(state => state.result === undefined ? undefined : sent(state.result).sentAt - t0).sort((a, b) => a! - b!)).toEqual([500, 750, 1000]);
	});

	it('shares its pace with every process on the same store: another\'s burst holds this one\'s next attempt', async () => {
		const {coordinator, inner, memory, t0} = setUp();
		await learnWindow(inner, 2, 1000);
		const elsewhere = createCoordinator(resolveCoordination({store: memory}));
		await elsewhere.admit(scope());
		await elsewhere.admit(scope());
		const held = pending(coordinator.admit(scope()));
		await vi.advanceTimersByTimeAsync(499);
		expect(held.result).toBeUndefined();
		await vi.advanceTimersByTimeAsync(1);
		expect(held.result).toMatchObject({kind: 'send', sentAt: t0 + 500});
	});

	it('looks at the record once when the pacer holds an attempt, and again only when its wait is over, not in a poll', async () => {
		const {coordinator, inner, reads, t0} = setUp();
		await learnWindow(inner, 2, 1000);
		await coordinator.admit(scope());
		await coordinator.admit(scope());
		reads.length = 0;
		const held = pending(coordinator.admit(scope()));
		await vi.advanceTimersByTimeAsync(1000);
		expect(held.result).toMatchObject({kind: 'send', sentAt: t0 + 500});
		expect(reads.map(at => at - t0)).toEqual([0, 500]);
	});

	it('gives nothing back for an attempt that got no answer: its turn is spent, as a refused request\'s would be, and the next attempt still waits', async () => {
		const {coordinator, inner, t0} = setUp();
		await learnWindow(inner, 2, 1000);
		// Neither attempt of the burst is ever answered (a network error, a timeout).
		await coordinator.admit(scope());
		await coordinator.admit(scope());
		const held = pending(coordinator.admit(scope()));
		await vi.advanceTimersByTimeAsync(499);
		expect(held.result).toBeUndefined();
		await vi.advanceTimersByTimeAsync(1);
		expect(held.result).toMatchObject({kind: 'send', sentAt: t0 + 500});
	});

	it('learns nothing from a 429 without a Retry-After and closes nothing: the next attempt waits only its turn', async () => {
		const {coordinator, inner, t0} = setUp();
		await learnWindow(inner, 2, 1000);
		const before = await inner.get('limit');
		await coordinator.observe(scope(), sent(await coordinator.admit(scope())), noRetryAfter);
		await coordinator.observe(scope(), sent(await coordinator.admit(scope())), noRetryAfter);
		expect(await inner.get('limit')).toBe(before);
		expect(await inner.get(`admitted:${t0}`)).toBeUndefined();
		const held = pending(coordinator.admit(scope()));
		await vi.advanceTimersByTimeAsync(500);
		expect(held.result).toMatchObject({kind: 'send', sentAt: t0 + 500});
	});

	it('keeps the attempts the pacer holds from going before the gate a 429 closed meanwhile reopens, then lets them go in the new cycle\'s burst', async () => {
		const {coordinator, inner, t0} = setUp();
		await learnWindow(inner, 2, 1000);
		const first = sent(await coordinator.admit(scope()));
		await coordinator.admit(scope());
		const held = [pending(coordinator.admit(scope())), pending(coordinator.admit(scope()))];
		await vi.advanceTimersByTimeAsync(100);
		await coordinator.observe(scope(), first, rateLimited(2000));
		await vi.advanceTimersByTimeAsync(1999);
		expect(held.map(state => state.result)).toEqual([undefined, undefined]);
		await vi.advanceTimersByTimeAsync(1);
		// Held in the cycle the 429 ended: in the new one they are its burst, and prove nothing of its pace.
		expect(held.map(state => state.result)).toEqual([
			{kind: 'send', sentAt: t0 + 2100, cycle: t0 + 2100, windowMs: 1000, paced: false},
			{kind: 'send', sentAt: t0 + 2100, cycle: t0 + 2100, windowMs: 1000, paced: false},
		]);
	});

	it('counts an attempt it held and that was then answered, in that cycle, as evidence for a faster pace, and one held in an earlier cycle not', async () => {
		const {coordinator, inner, t0} = setUp();
		await learnWindow(inner, 2, 1000);
		const first = sent(await coordinator.admit(scope()));
		await coordinator.admit(scope());
		const paced = pending(coordinator.admit(scope()));
		await vi.advanceTimersByTimeAsync(500);
		await coordinator.observe(scope(), sent(paced.result), ok);
		expect(await inner.get(`grown:${t0}`)).toBe('1');
		// A fourth is held in this cycle; a 429 ends the cycle while it waits, and it goes in the next one's burst.
		const late = pending(coordinator.admit(scope()));
		await vi.advanceTimersByTimeAsync(10);
		await coordinator.observe(scope(), first, rateLimited(1000));
		await vi.advanceTimersByTimeAsync(1000);
		const next = sent(late.result);
		expect(next).toMatchObject({cycle: t0 + 1510, paced: false});
		await coordinator.observe(scope(), next, ok);
		expect(await inner.get(`admitted:${t0 + 1510}`)).toBe('1');
		expect(await inner.get(`grown:${t0 + 1510}`)).toBeUndefined();
	});

	it('refuses at once an attempt whose pace wait would reach its total timeout, and holds one that ends a millisecond later', async () => {
		const {coordinator, inner, t0} = setUp();
		await learnWindow(inner, 2, 1000);
		await coordinator.admit(scope());
		await coordinator.admit(scope());
		expect(await coordinator.admit(scope({deadline: t0 + 500}))).toEqual({kind: 'deadline'});
		const later = pending(coordinator.admit(scope({deadline: t0 + 501})));
		await vi.advanceTimersByTimeAsync(500);
		expect(later.result).toMatchObject({kind: 'send', sentAt: t0 + 500});
	});

	it('gives up on an attempt that lost its turn when its next wait would pass its total timeout, as soon as it knows', async () => {
		const {coordinator, inner, t0} = setUp();
		await learnWindow(inner, 2, 1000);
		await coordinator.admit(scope());
		await coordinator.admit(scope());
		const held = [pending(coordinator.admit(scope({deadline: t0 + 700}))), pending(coordinator.admit(scope({deadline: t0 + 700})))];
		await vi.advanceTimersByTimeAsync(500);
		expect(held.map(state => state.result?.kind).sort()).toEqual(['deadline', 'send']);
		expect(vi.getTimerCount()).toBe(0);
	});

	it('ends a held attempt at the caller\'s abort, with its reason, leaving no timer', async () => {
		const {coordinator, inner} = setUp();
		await learnWindow(inner, 2, 1000);
		await coordinator.admit(scope());
		await coordinator.admit(scope());
		const controller = new AbortController();
		const held = pending(coordinator.admit(withSignal(controller.signal)));
		await vi.advanceTimersByTimeAsync(100);
		expect(vi.getTimerCount()).toBe(1);
		const reason = new Error('cancelled');
		controller.abort(reason);
		await vi.advanceTimersByTimeAsync(0);
		expect(held.error).toBe(reason);
		expect(held.result).toBeUndefined();
		expect(vi.getTimerCount()).toBe(0);
	});

	it('asks the store nothing more once the caller aborts a held attempt', async () => {
		const {coordinator, inner, steps} = setUp();
		await learnWindow(inner, 2, 1000);
		await coordinator.admit(scope());
		await coordinator.admit(scope());
		const controller = new AbortController();
		const held = pending(coordinator.admit(withSignal(controller.signal)));
		await vi.advanceTimersByTimeAsync(100);
		const before = steps.length;
		controller.abort(new Error('cancelled'));
		await vi.advanceTimersByTimeAsync(1000);
		expect(held.error).toBeInstanceOf(Error);
		expect(steps).toHaveLength(before);
	});
});

describe('the retry budget', () => {
	it('spends its burst, then refuses, and earns a retry back with successes', async () => {
		const {coordinator} = setUp({retryBudget: {burst: 2, earn: 0.5}});
		expect([await coordinator.spend(), await coordinator.spend(), await coordinator.spend()]).toEqual([true, true, false]);
		await coordinator.observe(scope(), sent(await coordinator.admit(scope())), ok);
		expect(await coordinator.spend()).toBe(false);
		await coordinator.observe(scope(), sent(await coordinator.admit(scope())), {...ok, status: 399});
		expect([await coordinator.spend(), await coordinator.spend()]).toEqual([true, false]);
	});

	it('earns nothing from a failure', async () => {
		const {coordinator} = setUp({retryBudget: {burst: 1, earn: 1}});
		await coordinator.spend();
		await coordinator.observe(scope(), sent(await coordinator.admit(scope())), {status: 400, code: 'INVALID_INPUTS', retryAfterMs: undefined, body: undefined});
		expect(await coordinator.spend()).toBe(false);
	});

	it('never refuses with retryBudget: false', async () => {
		const {coordinator} = setUp({retryBudget: false});
		for (let index = 0; index < 50; index++) {
			expect(await coordinator.spend()).toBe(true);
		}
	});
});

describe('the store steps a call costs', () => {
	/** One call that succeeds at once: its attempt admitted, then its answer observed. */
	const succeed = async (coordinator: ReturnType<typeof setUp>['coordinator']): Promise<Sent> => {
		const admission = sent(await coordinator.admit(scope()));
		await coordinator.observe(scope(), admission, ok);
		return admission;
	};

	/** How many steps each of `count` successful calls took, a second apart. */
	const stepsPerCall = async ({coordinator, steps}: ReturnType<typeof setUp>, count: number): Promise<number[]> => {
		const costs: number[] = [];
		for (let index = 0; index < count; index++) {
			const before = steps.length;
			await succeed(coordinator);
			costs.push(steps.length - before);
			await vi.advanceTimersByTimeAsync(1000);
		}

		return costs;
	};

	it('costs a successful call with no 429 lately two steps: one before it is sent, one after its answer', async () => {
		const setup = setUp();
		// The client's very first call on an empty store takes a step more: it learns the store's clock
		// before it writes the first record, whose cycle starts on that clock.
		expect(await stepsPerCall(setup, 3)).toEqual([3, 2, 2]);
		// One step of each pair reads the gate and the record, and one counts the answer.
		expect(setup.steps.map(step => step.map(op => op.op).join('+'))).toEqual(['absent+absent+get', 'absent+init', 'add+add', 'absent+absent+expect', 'add+add', 'absent+absent+expect', 'add+add']);
	});

	it('costs a successful call two steps too once a limit was learned long ago, whose pace the client keeps', async () => {
		const setup = setUp();
		const {coordinator, inner, steps} = setup;
		// Three get through, the fourth meets a 429: the client learns a window of three.
		const admissions = [];
		for (let index = 0; index < 4; index++) {
			admissions.push(sent(await coordinator.admit(scope())));
		}

		for (const admission of admissions.slice(0, 3)) {
			await coordinator.observe(scope(), admission, ok);
		}

		await coordinator.observe(scope(), admissions[3]!, rateLimited(1000));
		expect(JSON.parse(await inner.get('limit') ?? '{}')).toMatchObject({learned: {admitted: 3}});
		await vi.advanceTimersByTimeAsync(600_000);
		const before = steps.length;
		expect(await stepsPerCall(setup, 3)).toEqual([2, 2, 2]);
		// Paced by what was learned, in the step that reads the gate.
		expect(steps.slice(before).map(step => step.map(op => op.op).join('+'))).toEqual(Array.from({length: 3}, () => ['absent+absent+expect+get+pace', 'add+add+stamp']).flat());
	});

	it('costs another client on the same store one step more for its first call only, to read the limit it did not learn itself', async () => {
		const setup = setUp();
		const {coordinator, memory} = setup;
		for (let index = 0; index < 4; index++) {
			const admission = sent(await coordinator.admit(scope()));
			await coordinator.observe(scope(), admission, index < 3 ? ok : rateLimited(1000));
		}

		await vi.advanceTimersByTimeAsync(600_000);
		const other = recording(memory);
		const elsewhere = createCoordinator(resolveCoordination({store: other.store}));
		expect(await stepsPerCall({...setup, coordinator: elsewhere, steps: other.steps}, 3)).toEqual([3, 2, 2]);
	});

	it('costs a call one step more when a latch flag has appeared, once per client', async () => {
		const setup = setUp();
		const {memory} = setup;
		expect(await stepsPerCall(setup, 1)).toEqual([3]);
		// Another client's key is found dead: the flag says latches were set.
		const elsewhere = createCoordinator(resolveCoordination({store: memory}));
		const otherKey = scope({request: {...scope().request, headers: {'x-api-key': 'kn_other'}}});
		await elsewhere.observe(otherKey, sent(await elsewhere.admit(otherKey)), {status: 401, code: undefined, retryAfterMs: undefined, body: undefined});
		// The first call after it reads the flag, then its own latches: one step more, then never again.
		expect(await stepsPerCall(setup, 3)).toEqual([3, 2, 2]);
		expect(setup.steps.slice(-2)[0]!.map(op => op.key)).toEqual(expect.arrayContaining([expect.stringMatching(/^latch:key:/), 'gate', 'limit']));
	});

	it('costs the client that set a latch itself no step more', async () => {
		const setup = setUp();
		const {coordinator} = setup;
		expect(await stepsPerCall(setup, 1)).toEqual([3]);
		const otherKey = scope({request: {...scope().request, headers: {'x-api-key': 'kn_other'}}});
		await coordinator.observe(otherKey, sent(await coordinator.admit(otherKey)), {status: 401, code: undefined, retryAfterMs: undefined, body: undefined});
		expect(await stepsPerCall(setup, 2)).toEqual([2, 2]);
	});

	it('refuses a latched call in one step once the client knows latches were set', async () => {
		const setup = setUp();
		const {coordinator, steps} = setup;
		await coordinator.observe(scope(), sent(await coordinator.admit(scope())), {status: 401, code: undefined, retryAfterMs: undefined, body: undefined});
		const before = steps.length;
		expect(await coordinator.admit(scope())).toEqual({kind: 'latched', failure: {status: 401, body: undefined}});
		expect(steps.length - before).toBe(1);
	});

	it('checks no latch for a retry, whose call already did', async () => {
		const setup = setUp();
		const {coordinator, steps} = setup;
		await succeed(coordinator);
		const before = steps.length;
		sent(await coordinator.admit(scope({first: false})));
		expect(steps.slice(before).flat().map(op => op.key)).toEqual(['gate', 'limit']);
	});
});

describe('a gate the client closed while its store was failing', () => {
	it('holds the client\'s calls for all of the Retry-After once the store answers again, though the store never heard of it', async () => {
		useFakeClock();
		const inner = createMemoryStore();
		let failing = false;
		const store = {
			async run(ops: Parameters<typeof inner.run>[0]) {
				if (failing) {
					throw new Error('connection lost');
				}

				return inner.run(ops);
			},
		};
		const coordinator = createCoordinator(resolveCoordination({store, onStoreError() {}}));
		const t0 = Date.now();
		const admission = sent(await coordinator.admit(scope()));
		failing = true;
		await coordinator.observe(scope(), admission, rateLimited(4000));
		failing = false;
		// The store is asked again a second later, and has no gate: the client still waits out its own.
		await vi.advanceTimersByTimeAsync(1000);
		const next = pending(coordinator.admit(scope({first: false})));
		await vi.advanceTimersByTimeAsync(2999);
		expect(next.result).toBeUndefined();
		expect(await primitives(inner).get('gate')).toBeUndefined();
		await vi.advanceTimersByTimeAsync(1);
		expect(next.result).toMatchObject({kind: 'send'});
		expect(Date.now()).toBe(t0 + 4000);
	});
});

describe('a 429 that comes back while another attempt\'s step is on its way', () => {
	it('holds that attempt for the Retry-After, though the step it took saw no gate', async () => {
		useFakeClock();
		const inner = createMemoryStore();
		let delayMs = 0;
		const store = {
			async run(ops: Parameters<typeof inner.run>[0]) {
				if (delayMs > 0) {
					await new Promise(resolve => {
						setTimeout(resolve, delayMs);
					});
				}

				return inner.run(ops);
			},
		};
		const coordinator = createCoordinator(resolveCoordination({store}));
		const t0 = Date.now();
		const first = sent(await coordinator.admit(scope()));
		delayMs = 50;
		const second = pending(coordinator.admit(scope({first: false})));
		// The first attempt's 429 arrives while the second's step is still with the store.
		const observed = coordinator.observe(scope(), first, rateLimited(5000));
		await vi.advanceTimersByTimeAsync(200);
		await observed;
		delayMs = 0;
		expect(second.result).toBeUndefined();
		await vi.advanceTimersByTimeAsync(4900);
		// Not before the 429's wait ends (the store's gate, written a step later, ends a step later still).
		expect(sent(second.result).sentAt - t0).toBeGreaterThanOrEqual(5000);
	});
});

describe('a latch another client on the same store set', () => {
	it('fails this client\'s first call with that key at once, the first time it sees that a latch was set', async () => {
		useFakeClock();
		const store = createMemoryStore();
		const first = createCoordinator(resolveCoordination({store}));
		const second = createCoordinator(resolveCoordination({store}));
		// The second client has made calls before, and never saw a latch.
		await second.observe(scope(), sent(await second.admit(scope())), ok);
		await first.observe(scope(), sent(await first.admit(scope())), {status: 401, code: undefined, retryAfterMs: undefined, body: {error: 'Invalid API key'}});
		expect(await second.admit(scope())).toEqual({kind: 'latched', failure: {status: 401, body: {error: 'Invalid API key'}}});
	});
});

describe('a store whose clock is an hour ahead of the client\'s', () => {
	it('still gives each learned window that starts after a quiet spell a fresh burst, reckoning windows on the store\'s clock', async () => {
		useFakeClock();
		const store = createMemoryStore(() => Date.now() + 3_600_000);
		const coordinator = createCoordinator(resolveCoordination({store}));
		// Three got through, the fourth met a 429 asking for a second: a window of three is learned.
		for (let index = 0; index < 3; index++) {
			await coordinator.observe(scope(), sent(await coordinator.admit(scope())), ok);
		}

		await coordinator.observe(scope(), sent(await coordinator.admit(scope())), rateLimited(1000));
		await vi.advanceTimersByTimeAsync(1000);
		// The window after the gate: its burst, then the pace holds the next.
		const burst = [];
		for (let index = 0; index < 3; index++) {
			burst.push((await coordinator.admit(scope())).kind);
		}

		expect(burst).toEqual(['send', 'send', 'send']);
		// A fourth must wait for the pace: with a deadline a millisecond away it is refused at once.
		expect(await coordinator.admit(scope({deadline: Date.now() + 1}))).toEqual({kind: 'deadline'});
		// Some windows later, a fresh burst of three.
		await vi.advanceTimersByTimeAsync(10_000);
		const later = [];
		for (let index = 0; index < 3; index++) {
			later.push((await coordinator.admit(scope({deadline: Date.now() + 1}))).kind);
		}

		expect(later).toEqual(['send', 'send', 'send']);
	});
});

describe('an answer other than a 429 that carries a Retry-After', () => {
	it('closes no gate: a 503 asking to wait holds only the call that met it, not the client\'s other calls', async () => {
		useFakeClock();
		const coordinator = createCoordinator(resolveCoordination({store: createMemoryStore()}));
		const t0 = Date.now();
		await coordinator.observe(scope(), sent(await coordinator.admit(scope())), {status: 503, code: 'SERVER_ERROR', retryAfterMs: 5000, body: undefined});
		expect(await coordinator.admit(scope())).toMatchObject({kind: 'send', sentAt: t0});
	});
});
