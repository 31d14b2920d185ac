import type {Learned} from './learning.js';

/**
How fast the pace grows before a refill is known (and once one is stale): each success of a request the
pacer held adds this share of a burst's worth to the rate, so an eighth of a burst's worth of them
doubles it. The rate grows only on requests that waited for the pacer and got
through, so it never rises on a pace nobody tried.
*/
export const startGrowth = 8;

/**
How many windows' worth of requests, at the refill learned, the pacer stays near that refill before it
tries a faster pace: after that many it has doubled. Growth is cubic in successes (CUBIC's shape):
slow while close to what the server was last seen to take, faster once it has long taken more.
*/
export const plateauWindows = 8;

/**
How many windows without a 429 make a learned refill stale: the server may well take more by then
(another client of the account gone quiet, an upgrade), so the pace grows from it as fast as it did
before any refill was known, and the next 429 teaches afresh.
*/
export const staleWindows = 10;

/**
The pace, in requests per millisecond, that the pacer lets requests go at beyond a learned burst, after
`grown` requests that waited for it got through in this cycle.
- Before a refill is learned: twice the window's own rate (a burst per window), so that the request
  after the burst (which waits two intervals, see `KnoudsStore`) goes a window's share into it, and
  then faster with each success. A burst of one is paced as a burst of two: its first paced request
  would otherwise wait the whole window, go in the next window's burst, and never count as evidence. A fixed window refuses that request at once, for a wait that ends
  a share into the next window; a token bucket takes it and the ones after.
- After: the refill learned, then slowly more; once `age` (since the cycle began, that is since the last
  429) passes `staleWindows` windows, from the refill as fast as before.
*/
export const paceRate = (learned: Learned, grown: number, age = 0): number => {
	if (learned.refill === undefined) {
		return (2 * Math.max(2, learned.admitted) / learned.windowMs) * (1 + (startGrowth * grown / learned.admitted));
	}

	const perWindow = learned.refill * learned.windowMs;
	const cubic = learned.refill * (1 + ((grown / (plateauWindows * perWindow)) ** 3));
	return age > staleWindows * learned.windowMs ? Math.max(cubic, learned.refill * (1 + (startGrowth * grown / learned.admitted))) : cubic;
};
