/**
Waits `ms` milliseconds, or rejects with the signal's reason the moment it aborts.
Leaves no timer and no listener behind either way.
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
		}, ms);
		signal?.addEventListener('abort', onAbort, {once: true});
	});
};
