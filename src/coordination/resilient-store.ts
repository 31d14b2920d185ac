import {createMemoryStore, isMemoryStore} from './memory-store.js';
import type {KnoudsStore, StoreAnswer, StoreOp} from './store.js';

/** How a client treats a store that fails or does not answer in time. */
export type StoreFaults = {
	/** How long one operation may take, in milliseconds. */
	readonly timeoutMs: number;
	/** Told of each operation that failed or timed out. */
	readonly onError: ((error: Error) => void) | undefined;
	/** Whether a failed operation fails the call (`true`) or is done on the client's own in-process state. */
	readonly fail: boolean;
};

/** Why a store operation was given up on: the store's own error as `cause`, or a timeout. */
export class KnoudsStoreError extends Error {
	override readonly name = 'KnoudsStoreError';
	/** The operations of the step that failed, by name (`absent`, `expect`, `pace`, …), joined with `+`. */
	readonly operation: string;

	constructor(operation: string, message: string, cause?: unknown) {
		super(message, cause === undefined ? undefined : {cause});
		this.operation = operation;
	}
}

// After a failure the shared store is left alone this long, so that a store that is down costs each
// operation nothing, rather than a timeout each; then it is asked again.
const restMs = 1000;

const toError = (value: unknown): Error => value instanceof Error ? value : new Error(String(value));

// A custom store may answer anything: what is not a step's answer is a store that failed.
const checked = (answer: unknown, operation: string): StoreAnswer => {
	const {now, results, stopped} = (typeof answer === 'object' && answer !== null ? answer : {}) as Partial<Record<keyof StoreAnswer, unknown>>;
	if (typeof now !== 'number' || !Number.isFinite(now) || !Array.isArray(results) || typeof stopped !== 'boolean') {
		throw new KnoudsStoreError(operation, `The store answered a step (${operation}) with something that is not \`{now, results, stopped}\`.`);
	}

	return answer as StoreAnswer;
};

/**
A store whose every operation settles within `timeoutMs`, whatever the store underneath does. An
operation that fails or times out is reported, then done on an in-process store instead (or fails, with
`fail`), and the shared store is asked again a second later. The built-in memory store answers at once
and is returned as it is.
*/
export const resilientStore = (shared: KnoudsStore, faults: StoreFaults): KnoudsStore => {
	if (isMemoryStore(shared)) {
		return shared;
	}

	const local = createMemoryStore();
	let restUntil = 0;

	const run = async (ops: readonly StoreOp[]): ReturnType<KnoudsStore['run']> => {
		if (!faults.fail && Date.now() < restUntil) {
			return local.run(ops);
		}

		const operation = ops.map(op => op.op).join('+');
		let timer: ReturnType<typeof setTimeout> | undefined;
		try {
			return checked(await Promise.race([
				// A store that throws at once is a store that failed, like one that rejects.
				Promise.resolve().then(async () => shared.run(ops)),
				new Promise<never>((_resolve, reject) => {
					timer = setTimeout(() => {
						reject(new KnoudsStoreError(operation, `The store did not answer a step (${operation}) within ${faults.timeoutMs} ms (\`storeTimeout\`).`));
					}, faults.timeoutMs);
				}),
			]), operation);
		} catch (error) {
			restUntil = Date.now() + restMs;
			const failure = error instanceof KnoudsStoreError ? error : new KnoudsStoreError(operation, `The store failed a step (${operation}): ${toError(error).message}`, error);
			try {
				faults.onError?.(failure);
			} catch {
				// A throwing callback must not turn a fault the client survives into one it does not.
			}

			if (faults.fail) {
				throw failure;
			}
		} finally {
			clearTimeout(timer);
		}

		return local.run(ops);
	};

	return {run};
};
