/**
What each process of a fleet saw of its own traffic, and what the fleet as a whole did against the
waits it had been told of: a request counts as sent during a known Retry-After when any process of
the fleet had already received a 429 whose wait was still running.
*/
import type {FetchLike} from 'knouds-retry';

/** One process's traffic, on a clock every process of the host shares (epoch milliseconds, fractional). */
export type Timeline = {
	/** When each request left. */
	readonly sends: number[];
	/** Each 429 with a whole-second Retry-After: when it arrived, and when its wait ends. */
	readonly waits: Array<readonly [receivedAt: number, until: number]>;
};

/**
Epoch milliseconds with a fraction: `Date.now()` counts whole milliseconds, too coarse to order a 429 one
process received against a request another sent in the same millisecond.
*/
export const preciseNow = (): number => performance.timeOrigin + performance.now();

/** An empty timeline. */
export const newTimeline = (): Timeline => ({sends: [], waits: []});

/** A fetch that notes each request's departure and each 429's wait on `timeline`, then hands on to `inner`. */
export const recordingFetch = (timeline: Timeline, inner?: FetchLike): FetchLike => async (input, init) => {
	timeline.sends.push(preciseNow());
	// Read at each call, as the probe does, so that a fetch put in the global's place is used.
	const response = await (inner ?? globalThis.fetch)(input, init);
	if (response.status === 429) {
		const receivedAt = preciseNow();
		const seconds = Number(response.headers.get('retry-after') ?? Number.NaN);
		if (Number.isFinite(seconds)) {
			timeline.waits.push([receivedAt, receivedAt + (seconds * 1000)]);
		}
	}

	return response;
};

/**
Requests the fleet sent while a Retry-After some process of it had received was still running. Each
process knows the wait of the latest 429 it received (a later, shorter one replaces a longer one, as
for the probe of a single client); a request counts when any process's known wait runs past it.
*/
export const sentDuringKnownWaits = (timelines: readonly Timeline[]): number => {
	// A 429 and a request at the same instant: the 429 first, so that a tie counts against the fleet.
	type Event = {readonly at: number; readonly process: number; readonly until?: number};
	const events = timelines.flatMap((timeline, process): Event[] => [
		...timeline.waits.map(([at, until]) => ({at, process, until})),
		...timeline.sends.map(at => ({at, process})),
	]).sort((a, b) => a.at - b.at || (a.until === undefined ? 1 : 0) - (b.until === undefined ? 1 : 0));
	const knownUntil = timelines.map(() => 0);
	let sent = 0;
	for (const {at, process, until} of events) {
		if (until === undefined) {
			sent += knownUntil.some(end => at < end) ? 1 : 0;
		} else {
			knownUntil[process] = until;
		}
	}

	return sent;
};
