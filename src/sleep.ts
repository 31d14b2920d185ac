/** setTimeout fires at once for delays past 2^31 - 1 ms, which would turn a long wait into a busy loop. */
export const maxTimer = 2_147_483_647;

/**
Waits `ms` milliseconds, or rejects with the signal's reason the moment it aborts.
Leaves no timer and no listener behind either way. A wait past 2^31 - 1 ms (a timer's limit, 24.8
days) ends at that limit: a caller that must wait longer looks at its clock and waits again.
*/
export const sleep = async (ms: number, signal?: AbortSignal): Promise<void> => {
	signal?.throwIfAborted();
	if (ms <= 0) {
		return;
	}

	await new Promise<void>((resolve, reject) => {
		const onAbort = (): void => {
			clearTimeout(timer);
			reject(signal?.reason as Error);
		};

		const timer = setTimeout(() => {
			signal?.removeEventListener('abort', onAbort);
			resolve();
		}, Math.min(ms, maxTimer));
		signal?.addEventListener('abort', onAbort, {once: true});
	});
};
