import {boundedJson} from '../bounded-json.js';
import type {HeadersLike} from '../redact.js';
import {sleep} from '../sleep.js';
import {keyScope} from './key-scope.js';
import {latchFor, latchesOn, parseLatched, pathOf, type LatchedFailure} from './latch.js';
import type {ResolvedCoordination} from './options.js';
import {createWindow, type Sent} from './window.js';

/** What one attempt is, as far as shared state goes. */
export type AttemptScope = {
	/** Its request, read only when a latch is in play: the headers carry the key, and the URL's path names the model. */
	readonly request: {readonly headers: HeadersLike; readonly url: string; readonly signal: AbortSignal | undefined};
	readonly deadline: number | undefined;
	readonly maxRetryAfter: number;
	/** Whether this is the call's first attempt: latches hold later calls, not the retries of the call that set them. */
	readonly first: boolean;
};

/**
Whether an attempt may go: `send` once no latch, gate or pacer holds it, or why it must not.
`sentAt` is when it was let through, which tells later whether a 429 it meets is news; `cycle` says
which cycle of the learned limit it went in, and `paced` whether the learned pace held it first.
*/
export type Admission =
	| Sent
	| {readonly kind: 'latched'; readonly failure: LatchedFailure}
	| {readonly kind: 'gated'; readonly retryAfterMs: number; readonly reason: 'retry-after-too-long' | 'total-timeout'}
	| {readonly kind: 'deadline'};

/** What came back for an attempt that got an answer. */
export type Answer = {readonly status: number; readonly code: string | undefined; readonly retryAfterMs: number | undefined; readonly body: unknown};

// Bodies kept with a latch are error bodies; anything larger is not kept.
const latchBodyLimit = 4096;

/**
The shared state of one client's calls, over a `KnoudsStore`: latches, the Retry-After gate and the
rate controller, the per-minute pacer, and the retry budget.
*/
export const createCoordinator = (config: ResolvedCoordination) => {
	const {store} = config;
	const key = (...parts: ReadonlyArray<string | number>): string => `knouds-retry:${parts.join(':')}`;
	// The gate, the learned window and the pacer belong to the client, whatever key a request carries: Knouds
	// limits are per account, and a client speaks for one. Latches belong to keys: a dead key is one key.
	const window = createWindow(store, key);
	// Keys are built once: every attempt reads them, and a new string would be hashed again for each lookup.
	const [paceKey, budgetKey, anyLatchKey] = [key('pace'), key('budget'), key('latch')];
	// The configured pacer's spacing: evenly spaced slots, whatever was learned.
	const paceInterval = config.requestsPerMinute === undefined ? undefined : 60_000 / config.requestsPerMinute;
	const earning = config.budget && {earn: config.budget.earn, bounds: {initial: config.budget.burst, max: config.budget.burst, ttlMs: Number.POSITIVE_INFINITY}};

	const latched = async (attempt: AttemptScope): Promise<LatchedFailure | undefined> => {
		const scope = await keyScope(attempt.request.headers, attempt.request.url);
		for (const name of latchesOn(pathOf(attempt.request.url))) {
			const failure = parseLatched(await store.get(key('latch', name, scope)));
			if (failure !== undefined) {
				return failure;
			}
		}

		return undefined;
	};

	// Why an attempt must not wait `wait` ms at a closed gate: longer than the caller allows, or past the deadline.
	const stopAtGate = (attempt: AttemptScope, wait: number, until: number): Admission | undefined => {
		if (wait > attempt.maxRetryAfter) {
			return {kind: 'gated', retryAfterMs: wait, reason: 'retry-after-too-long'};
		}

		// Said as the rate limit it is, with the wait: a bare timeout would not say why nothing was sent.
		return attempt.deadline !== undefined && until >= attempt.deadline ? {kind: 'gated', retryAfterMs: wait, reason: 'total-timeout'} : undefined;
	};

	// The configured per-minute pacer: evenly spaced slots, whatever was learned.
	// Says whether it had to wait (then the gate may have closed meanwhile), or why the attempt must not go.
	const pace = async (attempt: AttemptScope, interval: number, now: number): Promise<Admission | boolean> => {
		const slot = await store.reserve(paceKey, interval, now, Math.max(60_000, interval * 2));
		if (attempt.deadline !== undefined && slot >= attempt.deadline) {
			return {kind: 'deadline'};
		}

		// Sleeps are capped at a timer's limit, so a slot further away than that is waited for in turns.
		for (let left = slot - now; left > 0; left = slot - Date.now()) {
			await sleep(left, attempt.request.signal);
		}

		return slot > now;
	};

	return {
		/** Whether the store's operations may hang or fail, so that waits on them need bounds. */
		guarded: config.guarded,

		/**
		Waits until an attempt may be sent: no latch holds it, the gate is open, and the learned window and
		the pacer have room. In the common case that is two reads: whether any latch was ever set (one read
		answers that none was), and the record of the limit.
		*/
		async admit(attempt: AttemptScope): Promise<Admission> {
			if (attempt.first && await store.get(anyLatchKey) !== undefined) {
				const failure = await latched(attempt);
				if (failure !== undefined) {
					return {kind: 'latched', failure};
				}
			}

			let paced = paceInterval === undefined;
			let heldIn: number | undefined;
			for (;;) {
				const limit = config.gate ? await window.read(Date.now()) : undefined;
				// Read after the store answered: with a store across the network, the answer takes a while.
				const now = Date.now();
				if (limit !== undefined && limit.until > now) {
					const stop = stopAtGate(attempt, limit.until - now, limit.until);
					if (stop !== undefined) {
						return stop;
					}

					await sleep(limit.until - now, attempt.request.signal);
					// A pace slot taken before this wait has passed meanwhile: take a fresh one, so that calls the
					// gate held do not all go together when it opens.
					paced = paceInterval === undefined;
					continue;
				}

				if (!paced && paceInterval !== undefined) {
					const waited = await pace(attempt, paceInterval, now);
					if (typeof waited === 'object') {
						return waited;
					}

					paced = true;
					if (waited) {
						// The gate may have closed while the pacer held this attempt: look again.
						continue;
					}
				}

				const slot = limit === undefined ? {kind: 'send', sentAt: now, cycle: undefined} as const : await window.takeSlot(now, limit, heldIn);
				if (slot.kind === 'send') {
					return slot;
				}

				// The learned pace holds it: wait for its turn (in whole milliseconds, as timers count), then look at
				// the gate again.
				const waitMs = Math.ceil(slot.waitMs);
				if (attempt.deadline !== undefined && now + waitMs >= attempt.deadline) {
					return {kind: 'deadline'};
				}

				await sleep(waitMs, attempt.request.signal);
				heldIn = slot.cycle;
			}
		},

		/**
		Takes in an attempt's answer: counts it for the limit being learned, closes the gate on a 429 (for its
		`Retry-After`; the latest wins), learns from the first 429 of a cycle, earns budget on a success and
		sets a latch on an answer that warrants one.
		*/
		async observe(attempt: AttemptScope, admission: Sent, answer: Answer): Promise<void> {
			if (answer.status < 400 && earning !== undefined) {
				await store.add(budgetKey, earning.earn, earning.bounds);
			}

			// Only a 401 or a 402 can latch; the path (parsed from the URL) is not worth reading for anything else.
			const latch = answer.status === 401 || answer.status === 402 ? latchFor(answer.status, answer.code, pathOf(attempt.request.url), config.latch) : undefined;
			if (latch !== undefined) {
				// The body is kept only when small and shallow enough to serialise safely: a latch must set whatever the body.
				const body = answer.body === undefined ? undefined : boundedJson(answer.body, latchBodyLimit);
				await store.set(key('latch', latch.name, await keyScope(attempt.request.headers, attempt.request.url)), body === undefined ? `{"status":${answer.status}}` : `{"status":${answer.status},"body":${body}}`, latch.ttlMs);
				// For good, whatever the latch's own time: it only says that latches must be looked for.
				await store.set(anyLatchKey, '1', Number.POSITIVE_INFINITY);
			}

			if (!config.gate) {
				return;
			}

			if (answer.status !== 429) {
				await window.count(admission);
			} else if (answer.retryAfterMs !== undefined) {
				// A 429 that does not say how long to wait (a gateway's) closes nothing and teaches nothing.
				await window.closeGate(admission, answer.retryAfterMs);
			}
		},

		/** Spends one token of the retry budget; `false` when it is empty. Always `true` without a budget. */
		async spend(): Promise<boolean> {
			return config.budget === undefined || store.take(budgetKey, 1, {initial: config.budget.burst, ttlMs: Number.POSITIVE_INFINITY});
		},
	};

};

/** The shared state of one client's calls. */
export type Coordinator = ReturnType<typeof createCoordinator>;
