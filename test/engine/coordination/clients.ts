import {vi} from 'vitest';
import {api, origin} from '../../support/http.js';
import {until} from '../../support/clock.js';
import {surfaces, type Outcome} from '../../support/surfaces.js';

/** Both public surfaces, as makers of clients that live across calls, for `describe.each`. */
export const clientSurfaces = surfaces;
export type {Call as ClientCall, Client, Surface as ClientSurface} from '../../support/surfaces.js';

/** Calls started together, with their outcomes recorded as they settle, so a test can drive the fake clock meanwhile. */
export const calls = () => {
	const outcomes: Array<Outcome | undefined> = [];
	return {
		outcomes,
		start(promise: Promise<Outcome>): void {
			const index = outcomes.push(undefined) - 1;
			void promise.then(outcome => {
				outcomes[index] = outcome;
			});
		},
		pending: (): number => outcomes.filter(outcome => outcome === undefined).length,
		settled: (): Outcome[] => outcomes.filter(outcome => outcome !== undefined),
	};
};

/**
Runs the fake clock, one timer at a time, until every call has settled. Between timers it lets real I/O
(nock's replies) run until every pending call is parked on its one timer (a wait at the gate, the pacer or
a retry), so that each request arrives at the fake time it was sent. Needs clients without an attempt
timeout (`timeout: false`), whose timer would run while a request is in flight, and `warmUp()`.

A call that is reading an error body holds a timer too (the body's time limit), and so looks parked while
it has not yet taken its answer in. Where that matters (a pacer that would send the next request before a
429 that came back at once was read), `answered` says when every answer that came back has been taken in.
*/
export const settleAll = async (started: {pending: () => number}, {answered = () => true, maxTimers = 1000}: {answered?: () => boolean; maxTimers?: number} = {}): Promise<void> => {
	for (let fired = 0; fired < maxTimers; fired++) {
		await until(() => vi.getTimerCount() === started.pending() && answered()).catch((error: unknown) => {
			throw new Error(`${vi.getTimerCount()} timers for ${started.pending()} pending calls`, {cause: error});
		});
		if (started.pending() === 0) {
			return;
		}

		await vi.advanceTimersToNextTimerAsync();
	}

	throw new Error(`Calls still pending after ${maxTimers} timers.`);
};

/**
fetch (undici) creates a shared connect-timeout timer on the first connection a process makes. Made
here with real timers, from `beforeAll`, so that it never counts among a test's fake timers.
*/
export const warmUp = async (): Promise<void> => {
	api().get('/warm-up').reply(200, {});
	await (await fetch(`${origin}/warm-up`)).text();
};
