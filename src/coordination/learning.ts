/**
What the client learned of a rate limit: a window of `windowMs` admitted `admitted` requests.
`at` is when it was learned (when the window that ended with a 429 reopens). Each later window (each
cycle between two reopenings) lets `admitted` requests through, and one more as a probe.
*/
export type Learned = {
	readonly admitted: number;
	readonly windowMs: number;
	readonly at: number;
};

/**
What a client knows of its rate limit, kept as one record so that one read tells an attempt whether
it may go: the gate is closed `until` then (the latest 429's `Retry-After`), the current cycle began at
`cycle` (when the gate last opened), and `learned` is the window learned, if any.
*/
export type Limit = {
	readonly until: number;
	readonly cycle: number;
	readonly learned: Learned | undefined;
};

/**
What a 429 teaches. The cycle that it ends began at `cycleStart` (the client's first request, or the
moment the previous gate opened) and admitted `admitted` requests; the server reopens at `until`. So a
window of `until - cycleStart` admits about `admitted` requests. Nothing is learned from an empty cycle.
*/
export const learn = (cycleStart: number, admitted: number, until: number): Learned | undefined =>
	admitted > 0 && until > cycleStart ? {admitted, windowMs: until - cycleStart, at: until} : undefined;

const finite = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

const readLearned = (value: unknown): Learned | undefined => {
	const {admitted, windowMs, at} = (typeof value === 'object' && value !== null ? value : {}) as Partial<Record<keyof Learned, unknown>>;
	return finite(admitted) && admitted > 0 && finite(windowMs) && windowMs > 0 && finite(at)
		? {admitted, windowMs, at}
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
