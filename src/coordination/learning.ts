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
What a 429 teaches. The cycle that it ends began at `cycleStart` (the client's first request, or the
moment the previous gate opened) and admitted `admitted` requests; the server reopens at `until`. So a
window of `until - cycleStart` admits about `admitted` requests. Nothing is learned from an empty cycle.
*/
export const learn = (cycleStart: number, admitted: number, until: number): Learned | undefined =>
	admitted > 0 && until > cycleStart ? {admitted, windowMs: until - cycleStart, at: until} : undefined;

// Every attempt reads what was learned; it changes once per window, so the last parse is kept.
let last: {readonly text: string; readonly learned: Learned | undefined} | undefined;

/** Reads a stored `Learned`, or `undefined` for anything else (a store may hold anything). */
export const parseLearned = (text: string | undefined): Learned | undefined => {
	if (text === undefined) {
		return undefined;
	}

	if (last?.text === text) {
		return last.learned;
	}

	last = {text, learned: readLearned(text)};
	return last.learned;
};

const readLearned = (text: string): Learned | undefined => {
	try {
		const value: unknown = JSON.parse(text);
		const {admitted, windowMs, at} = (value ?? {}) as Partial<Record<keyof Learned, unknown>>;
		const finite = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);
		return finite(admitted) && admitted > 0 && finite(windowMs) && windowMs > 0 && finite(at)
			? {admitted, windowMs, at}
			: undefined;
	} catch {
		return undefined;
	}
};
