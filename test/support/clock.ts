import {vi} from 'vitest';

/**
Fakes the clock and timers but not setImmediate, so nock's replies (real I/O) still flow while
the test decides when backoff and Retry-After timers fire.
*/
export const useFakeClock = (): void => {
	vi.useFakeTimers({toFake: ['setTimeout', 'clearTimeout', 'Date']});
};

/**
Lets real I/O run, a turn of the event loop at a time, until the condition holds. Used to wait for
a request to arrive or for `onRetry` to fire (after which the engine's wait timer is scheduled).
*/
export const until = async (condition: () => boolean, turns = 5000): Promise<void> => {
	for (let turn = 0; !condition(); turn++) {
		if (turn >= turns) {
			throw new Error('The condition did not hold within the allowed event-loop turns.');
		}

		await new Promise(resolve => {
			setImmediate(resolve);
		});
	}
};
