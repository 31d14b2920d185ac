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

/** Counts a client's traffic: call `sent()` as each request leaves and `received()` as each answer arrives. */
export type Probe = {
	/** A fetch that reports to the probe, for clients that take a `fetch` option. */
	readonly fetch: FetchLike;
	readonly sent: () => void;
	readonly received: (status: number, retryAfter: string | null | undefined) => void;
	readonly stats: () => ProbeStats;
};

/**
A probe of a client's traffic. Clients that take a `fetch` option get `probe.fetch`, so every attempt
goes through it; others (got, axios) call `sent` and `received` from their hooks. It sees what the
client sends and when, and which waits the client already knew of: the latest 429's Retry-After
counts, as it does for the client. Its clock is `Date.now()`, so on a fake clock it counts in fake time.

@param inner - The fetch that carries the requests: the global one (read at each call, so that a stub put
in its place is used), or an in-process server's.
*/
export const createProbe = (inner?: FetchLike): Probe => {
	let sent = 0;
	let tooMany = 0;
	let sentDuringKnownWait = 0;
	let knownUntil = 0;
	const probe: Probe = {
		async fetch(input, init) {
			probe.sent();
			const response = await (inner ?? globalThis.fetch)(input, init);
			probe.received(response.status, response.headers.get('retry-after'));
			return response;
		},
		sent() {
			sent++;
			if (Date.now() < knownUntil) {
				sentDuringKnownWait++;
			}
		},
		received(status, retryAfter) {
			if (status === 429) {
				tooMany++;
				const seconds = Number(retryAfter ?? Number.NaN);
				if (Number.isFinite(seconds)) {
					knownUntil = Date.now() + (seconds * 1000);
				}
			}
		},
		stats: () => ({sent, tooMany, sentDuringKnownWait}),
	};
	return probe;
};
