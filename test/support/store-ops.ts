import type {KnoudsStore, StoreAnswer, StoreOp} from '../../src/coordination/store.js';

/**
A store's operations one step each, as tests read and set what a client keeps: `get`, `set`, `add`,
`take` (a boolean), `reserve` and `pace` (the wait in ms).
*/
export const primitives = (store: KnoudsStore) => {
	const one = async (op: StoreOp): Promise<string | number | undefined> => (await store.run([op])).results[0];
	return {
		get: async (key: string): Promise<string | undefined> => one({op: 'get', key}) as Promise<string | undefined>,
		set: async (key: string, value: string, ttlMs: number): Promise<void> => {
			await one({op: 'set', key, value, ttlMs});
		},
		add: async (key: string, delta: number, options: {initial: number; max: number; ttlMs: number}): Promise<number> => one({op: 'add', key, delta, ...options}) as Promise<number>,
		take: async (key: string, amount: number, options: {initial: number; ttlMs: number}): Promise<boolean> => await one({op: 'take', key, amount, ...options}) === 1,
		reserve: async (key: string, intervalMs: number, ttlMs: number): Promise<number> => one({op: 'reserve', key, intervalMs, ttlMs}) as Promise<number>,
		pace: async (key: string, options: {intervalMs: number; burst: number; max?: number; ttlMs: number}): Promise<number> => one({op: 'pace', key, ...options}) as Promise<number>,
	};
};

/** A store that records every operation it is asked (with its key and ttl, where it has one) and every step. */
export const recording = (inner: KnoudsStore) => {
	const ops: StoreOp[] = [];
	const steps: Array<readonly StoreOp[]> = [];
	const answers: StoreAnswer[] = [];
	const store: KnoudsStore = {
		async run(step) {
			steps.push(step);
			ops.push(...step);
			const answer = await inner.run(step);
			answers.push(answer);
			return answer;
		},
	};
	/** The writes, as `{operation, key, ttlMs}`. */
	const writes = () => ops.filter(op => 'ttlMs' in op).map(op => ({operation: op.op, key: op.key, ttlMs: (op as {ttlMs: number}).ttlMs}));
	return {store, ops, steps, answers, writes};
};
