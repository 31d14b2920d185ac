/**
The demo's batch: which calls it makes, and a runner that sends them with bounded concurrency and
tallies what each client saw.
*/

/** The demo's batch: how many model runs, how many in flight at once, and the simulator scenario they meet. */
export const batch = {size: 300, concurrency: 16, scenario: 'chaos'} as const;

/**
Why a call is in the batch. `pro` runs are healthy; the others are built to fail whatever the client does:
`read-only key` has no `model:run` capability, `retired key` was created before May 2026, and `free tier`
runs a model whose trial grant runs out before the batch does.
*/
export type Purpose = 'pro' | 'read-only key' | 'retired key' | 'free tier';

/** One logical call: a model run with a key. */
export type Call = {
	readonly id: number;
	readonly key: string;
	readonly model: string;
	readonly async: boolean;
	readonly purpose: Purpose;
};

/** What a client made of one call. */
export type Result =
	| {readonly ok: true; readonly executionId: string; readonly creditsCharged: number}
	| {readonly ok: false; readonly code: string; readonly stopReason?: string; readonly executionId?: string};

/** The demo's mix: mostly healthy Pro runs, with calls that must fail for reasons no retry can fix. */
export const planBatch = (size: number): Call[] => Array.from({length: size}, (_, id) => {
	const slot = id % 30;
	if (slot === 7) {
		return {id, key: 'sim-read-only-key', model: 'text-small', async: false, purpose: 'read-only key'};
	}

	if (slot === 29) {
		return {id, key: 'sim-legacy-key', model: 'text-small', async: false, purpose: 'retired key'};
	}

	if (slot === 13 || slot === 23) {
		return {id, key: 'sim-free-key', model: 'image-fast', async: false, purpose: 'free tier'};
	}

	return {id, key: 'sim-pro-key', model: 'text-small', async: slot === 17, purpose: 'pro'};
});

/** Sends every call through `send`, `concurrency` at a time, reporting each result as it lands. */
export const runBatch = async <C extends {readonly id: number}, R>(calls: readonly C[], concurrency: number, send: (call: C) => Promise<R>, onResult: (result: R) => void): Promise<R[]> => {
	const results: R[] = [];
	let next = 0;
	const worker = async (): Promise<void> => {
		for (let call = calls[next++]; call !== undefined; call = calls[next++]) {
			const result = await send(call);
			results[call.id] = result;
			onResult(result);
		}
	};

	await Promise.all(Array.from({length: concurrency}, worker));
	return results;
};
