import type {FetchLike} from 'knouds-retry';

/** What a probe saw of a client's traffic. */
export type ProbeStats = {
	/** Requests the client sent. */
	readonly sent: number;
	/** 429 answers it received. */
	readonly tooMany: number;
	/** Requests sent while a Retry-After the client had already received was still running. */
	readonly sentDuringKnownWait: number;
};

/**
A fetch that counts what passes through it, for any client that takes a `fetch` option: every attempt
goes through it, so it sees what the client sends and when, and which waits it already knew of.
The latest 429's Retry-After is the one that counts, as it is for the client.
*/
export const createProbe = (): {fetch: FetchLike; stats: () => ProbeStats} => {
	let sent = 0;
	let tooMany = 0;
	let sentDuringKnownWait = 0;
	let knownUntil = 0;
	return {
		async fetch(input, init) {
			sent++;
			if (Date.now() < knownUntil) {
				sentDuringKnownWait++;
			}

			const response = await globalThis.fetch(input, init);
			if (response.status === 429) {
				tooMany++;
				const seconds = Number(response.headers.get('retry-after'));
				if (Number.isFinite(seconds)) {
					knownUntil = Date.now() + (seconds * 1000);
				}
			}

			return response;
		},
		stats: () => ({sent, tooMany, sentDuringKnownWait}),
	};
};
