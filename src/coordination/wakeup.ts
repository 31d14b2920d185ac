/**
Lets attempts that wait for a change in a scope's shared state (a 429 closing the gate, a probe that
got through) be woken when this process sees it, and still look again after `pollMs` in case another
process changed a shared store.
*/
export const createWakeup = () => {
	const sleepers = new Map<string, Set<() => void>>();
	return {
		/** Wakes everything waiting on `scope`. */
		wake(scope: string): void {
			const waiting = sleepers.get(scope);
			sleepers.delete(scope);
			for (const resolve of waiting ?? []) {
				resolve();
			}
		},
		/** Resolves on the next wake of `scope` or after `ms`; rejects at once when `signal` aborts. Leaves nothing behind. */
		async wait(scope: string, ms: number, signal: AbortSignal | undefined): Promise<void> {
			signal?.throwIfAborted();
			await new Promise<void>((resolve, reject) => {
				const leave = (): void => {
					clearTimeout(timer);
					signal?.removeEventListener('abort', onAbort);
					sleepers.get(scope)?.delete(done);
				};

				const done = (): void => {
					leave();
					resolve();
				};

				// Not through done(): a promise settles once, and resolving first would swallow the rejection.
				const onAbort = (): void => {
					leave();
					reject(signal?.reason as Error);
				};

				const timer = setTimeout(done, Math.max(0, ms));
				signal?.addEventListener('abort', onAbort, {once: true});
				let waiting = sleepers.get(scope);
				if (waiting === undefined) {
					waiting = new Set();
					sleepers.set(scope, waiting);
				}

				waiting.add(done);
			});
		},
	};
};
