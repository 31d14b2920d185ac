import {createMemoryStore, isMemoryStore, type KnoudsStore} from './store.js';

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
	/** The operation that failed: `get`, `set`, `add`, `take`, `reserve` or `pace`. */
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

	const run = async <T>(operation: keyof KnoudsStore, call: (store: KnoudsStore) => Promise<T>): Promise<T> => {
		if (!faults.fail && Date.now() < restUntil) {
			return call(local);
		}

		let timer: ReturnType<typeof setTimeout> | undefined;
		try {
			return await Promise.race([
				// A store that throws at once is a store that failed, like one that rejects.
				Promise.resolve().then(async () => call(shared)),
				new Promise<never>((_resolve, reject) => {
					timer = setTimeout(() => {
						reject(new KnoudsStoreError(operation, `The store's \`${operation}\` did not answer within ${faults.timeoutMs} ms (\`storeTimeout\`).`));
					}, faults.timeoutMs);
				}),
			]);
		} catch (error) {
			restUntil = Date.now() + restMs;
			const failure = error instanceof KnoudsStoreError ? error : new KnoudsStoreError(operation, `The store's \`${operation}\` failed: ${toError(error).message}`, error);
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

		return call(local);
	};

	return {
		get: async key => run('get', async store => store.get(key)),
		set: async (key, value, ttlMs) => run('set', async store => store.set(key, value, ttlMs)),
		add: async (key, delta, options) => run('add', async store => store.add(key, delta, options)),
		take: async (key, amount, options) => run('take', async store => store.take(key, amount, options)),
		reserve: async (key, intervalMs, now, ttlMs) => run('reserve', async store => store.reserve(key, intervalMs, now, ttlMs)),
		pace: async (key, options) => run('pace', async store => store.pace(key, options)),
	};
};
