import {vi} from 'vitest';
import {createMemoryStore} from '../../src/coordination/memory-store.js';
import type {StoreAnswer, StoreOp} from '../../src/coordination/store.js';
import {createWindow, type Sent, type Verdict} from '../../src/coordination/window.js';
import {useFakeClock} from './clock.js';
import {primitives, recording} from './store-ops.js';

/** What an attempt at the window came to: wait at the gate, held by the pace, or sent. */
export type Taken = Exclude<Verdict, {readonly kind: 'changed'}>;

/** The window's keys in these tests: prefixed, so that a test sees the window builds every key with it. */
export const windowKey = (...parts: ReadonlyArray<string | number>): string => `k:${parts.join(':')}`;

/**
A learned window over a memory store on the fake clock, driven step by step as the coordinator drives
it: `take` plans an attempt's step (the gate, then the record and the pace) and reads it, taking one more
when the record changed; `count` runs the step that counts an answer; `closeGate` takes a 429. `store`
reads and sets keys directly, a step each; `steps` and `ops` are what the window asked the store, and
`expiries` when each key it wrote expires (by the store's clock, for the operations that ran).
*/
export const windowSteps = () => {
	useFakeClock();
	const memory = createMemoryStore();
	const expiries = new Map<string, number>();
	const writes = new Set(['set', 'init', 'stamp', 'add', 'take', 'reserve', 'pace']);
	const tracked = recording({
		async run(ops) {
			const answer = await memory.run(ops);
			for (const [index, op] of ops.slice(0, answer.results.length).entries()) {
				if (op.op === 'setUntil') {
					expiries.set(op.key, op.until);
				} else if (writes.has(op.op) && 'ttlMs' in op && !(op.op === 'take' && answer.results[index] === 0) && !(op.op === 'pace' && answer.results[index] !== 0)) {
					expiries.set(op.key, answer.now + op.ttlMs);
				}
			}

			return answer;
		},
	});
	const run = async (ops: readonly StoreOp[]): Promise<StoreAnswer> => tracked.store.run(ops);
	const window = createWindow(windowKey);

	const take = async (heldIn?: number): Promise<Taken> => {
		for (;;) {
			const plan = window.plan(Date.now());
			const answer = await run([plan.gate, ...plan.ops]);
			const gate = plan.gateWait(answer, 0);
			if (gate !== undefined) {
				return gate;
			}

			const verdict = plan.read(answer, 1, heldIn);
			if (verdict.kind !== 'changed') {
				return verdict;
			}
		}
	};

	const takeAll = async (count: number, heldIn?: number): Promise<Taken[]> => {
		const taken: Taken[] = [];
		for (let index = 0; index < count; index++) {
			taken.push(await take(heldIn));
		}

		return taken;
	};

	return {
		window,
		store: primitives(memory),
		run,
		steps: tracked.steps,
		ops: tracked.ops,
		expiries,
		take,
		takeAll,
		count: async (admission: Sent): Promise<void> => {
			await run(window.countOps(admission, Date.now()));
		},
		closeGate: async (admission: Sent, waitMs: number): Promise<void> => window.closeGate(run, admission, waitMs, Date.now),
		now: (): number => Date.now(),
		advance: (ms: number): void => {
			vi.advanceTimersByTime(ms);
		},
		t0: Date.now(),
	};
};

/** What each attempt got: sent (and whether paced), held for so long (to a nanosecond: the level is a float), or the gate's wait. */
export const outcomes = (taken: readonly Taken[]): string[] => taken.map(slot => slot.kind === 'held' ? `held ${Number(slot.waitMs.toFixed(6))}` : slot.kind === 'gate' ? `gate ${slot.waitMs}` : slot.paced === true ? 'paced' : 'sent');

export const sentOnly = (slot: Taken | undefined): Sent => {
	if (slot?.kind !== 'send') {
		throw new Error(`Expected a slot, got ${JSON.stringify(slot)}`);
	}

	return slot;
};
