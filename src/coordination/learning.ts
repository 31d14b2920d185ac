/**
What the client learned of a rate limit. After each reopening of the gate the server admitted a burst of
`admitted` requests, and a window of `windowMs` admitted about that many (a fixed window, or a sliding
log, looks so). `at` is when it was learned (when the gate that taught it reopens). `refill`, once the
server was seen to admit requests beyond the burst at a steady pace (a token bucket, or a window with
room to spare), is that pace in requests per millisecond: the rate the pacer keeps after a 429.
*/
export type Learned = {
	readonly admitted: number;
	readonly windowMs: number;
	readonly at: number;
	readonly refill: number | undefined;
};

/**
What a client knows of its rate limit, kept as one record so that one read tells an attempt whether
it may go: the gate is closed `until` then (the latest 429's `Retry-After`), the current cycle began at
`cycle` (when the gate last opened), and `learned` is what was learned of the limit, if anything.
*/
export type Limit = {
	readonly until: number;
	readonly cycle: number;
	readonly learned: Learned | undefined;
};

/**
A cycle that a 429 ended: it began at `start` (the first request, the gate's reopening, or the start of
the learned window under way), the server admitted `admitted` requests in it, the 429 came back at
`endedAt` and the server reopens at `until`. `rateAtEnd` is the pacer's rate when the 429 came, in
requests per millisecond, when a refill had been learned. `firstAnswerAt` is when the cycle's first
answer came back, if known: a refill is measured from there to `endedAt`, two moments that each include
the way back from the server.
*/
export type Cycle = {
	readonly start: number;
	readonly admitted: number;
	readonly endedAt: number;
	readonly until: number;
	readonly rateAtEnd: number | undefined;
	readonly firstAnswerAt?: number | undefined;
};

/** How much of the pacer's rate at a 429 is kept as the refill learned: as TCP's CUBIC, a cut by a fifth. */
export const backOff = 0.8;

/**
What a 429 teaches, given what was learned before. Nothing from an empty cycle.
- While no refill is known, no more got through than the burst: the limit is a window of
  `until - start` admitting `admitted` (the first lesson, and the one a fixed window or a sliding log
  teaches each time).
- More got through than the burst: the server refills. The first time, it refilled at least as fast as
  the requests beyond the burst got through; later, a little slower than the pacer ran when it said no,
  and a burst no larger than what got through. Never slower than a burst per window.
*/
export const learn = (previous: Learned | undefined, cycle: Cycle): Learned | undefined => {
	const {start, admitted, endedAt, until, rateAtEnd, firstAnswerAt = start} = cycle;
	if (admitted <= 0 || until <= start) {
		return previous;
	}

	if (previous?.refill === undefined && (previous === undefined || admitted <= previous.admitted)) {
		return {admitted, windowMs: until - start, at: until, refill: undefined};
	}

	const burst = Math.min(previous.admitted, admitted);
	const refill = previous.refill === undefined || rateAtEnd === undefined
		? (admitted - previous.admitted) / Math.max(1, endedAt - Math.max(start, firstAnswerAt))
		: backOff * rateAtEnd;
	return {admitted: burst, windowMs: previous.windowMs, at: until, refill: Math.max(burst / previous.windowMs, refill)};
};

const finite = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

const readLearned = (value: unknown): Learned | undefined => {
	const {admitted, windowMs, at, refill} = (typeof value === 'object' && value !== null ? value : {}) as Partial<Record<keyof Learned, unknown>>;
	return finite(admitted) && admitted >= 1 && finite(windowMs) && windowMs > 0 && finite(at)
		? {admitted, windowMs, at, refill: finite(refill) && refill > 0 ? refill : undefined}
		: undefined;
};

const readLimit = (text: string): Limit | undefined => {
	try {
		const value: unknown = JSON.parse(text);
		const {until, cycle, learned} = (typeof value === 'object' && value !== null ? value : {}) as Partial<Record<keyof Limit, unknown>>;
		return finite(until) && finite(cycle) ? {until, cycle, learned: readLearned(learned)} : undefined;
	} catch {
		return undefined;
	}
};

// Every attempt reads the record; it changes at most once per window, so the last parse is kept.
let last: {readonly text: string; readonly limit: Limit | undefined} | undefined;

/** Reads a stored `Limit`, or `undefined` for anything else (a store may hold anything). A malformed `learned` reads as none. */
export const parseLimit = (text: string | undefined): Limit | undefined => {
	if (text === undefined) {
		return undefined;
	}

	if (last?.text !== text) {
		last = {text, limit: readLimit(text)};
	}

	return last.limit;
};
