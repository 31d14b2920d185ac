import type {HeadersLike} from '../redact.js';
import {sleep} from '../sleep.js';
import {keyScope} from './key-scope.js';
import {latchFor, latchesOn, parseLatched, type LatchedFailure} from './latch.js';
import {learn, paceInterval, parseLearned} from './learning.js';
import type {ResolvedCoordination} from './options.js';

/** What one attempt is, as far as shared state goes. */
export type AttemptScope = {
	readonly headers: HeadersLike;
	/** The request path: it names the model, which scopes grant_exhausted latches. */
	readonly path: string;
	readonly signal: AbortSignal | undefined;
	readonly deadline: number | undefined;
	readonly maxRetryAfter: number;
};

/**
Whether an attempt may go: `send` once the gate and the pacer allow it, or why it must not.
`sentAt` is when it was let through, which tells later whether a 429 it meets is news.
*/
export type Admission =
	| {readonly kind: 'send'; readonly sentAt: number}
	| {readonly kind: 'latched'; readonly failure: LatchedFailure}
	| {readonly kind: 'gated'; readonly retryAfterMs: number}
	| {readonly kind: 'deadline'};

/** What came back for an attempt that got an answer. */
export type Answer = {readonly status: number; readonly code: string | undefined; readonly retryAfterMs: number | undefined; readonly body: unknown};

// A learned limit, a cycle's start and its count are forgotten after an hour without news.
const memoryMs = 3_600_000;
// Bodies kept with a latch are error bodies; anything larger is not kept.
const latchBodyLimit = 4096;

/**
The shared state of one client's calls, over a `KnoudsStore`: latches, the Retry-After gate and what it
learned, the per-minute pacer, and the retry budget.
*/
export const createCoordinator = (config: ResolvedCoordination) => {
	const {store} = config;
	const key = (...parts: readonly string[]): string => `knouds-retry:${parts.join(':')}`;
	const numberAt = async (name: string): Promise<number> => Number(await store.get(name) ?? 0) || 0;

	const latched = async (scope: string, path: string): Promise<LatchedFailure | undefined> => {
		for (const name of latchesOn(path)) {
			const failure = parseLatched(await store.get(key('latch', name, scope)));
			if (failure !== undefined) {
				return failure;
			}
		}

		return undefined;
	};

	// Waits for the gate to open; says why not when the wait may not be slept through.
	const passGate = async (scope: string, attempt: AttemptScope): Promise<Admission | undefined> => {
		for (let until = await numberAt(key('gate', scope)); until > Date.now(); until = await numberAt(key('gate', scope))) {
			const wait = until - Date.now();
			if (wait > attempt.maxRetryAfter) {
				return {kind: 'gated', retryAfterMs: wait};
			}

			if (attempt.deadline !== undefined && until >= attempt.deadline) {
				return {kind: 'deadline'};
			}

			await sleep(wait, attempt.signal);
		}

		return undefined;
	};

	return {
		/** Waits until an attempt may be sent: no latch holds it, the gate is open and the pacer has a slot for it. */
		async admit(attempt: AttemptScope): Promise<Admission> {
			const scope = await keyScope(attempt.headers);
			const failure = await latched(scope, attempt.path);
			if (failure !== undefined) {
				return {kind: 'latched', failure};
			}

			for (;;) {
				const stop = config.gate ? await passGate(scope, attempt) : undefined;
				if (stop !== undefined) {
					return stop;
				}

				const now = Date.now();
				const learned = config.gate ? parseLearned(await store.get(key('learned', scope))) : undefined;
				const interval = paceInterval(learned, config.requestsPerMinute, now);
				const slot = interval > 0 ? await store.reserve(key('slot', scope), interval, now, Math.max(60_000, interval * 2)) : now;
				if (attempt.deadline !== undefined && slot >= attempt.deadline) {
					return {kind: 'deadline'};
				}

				await sleep(slot - now, attempt.signal);
				// The gate may have closed while this attempt waited for its slot; if so, queue again behind it.
				if (!config.gate || await numberAt(key('gate', scope)) <= Date.now()) {
					return {kind: 'send', sentAt: Date.now()};
				}
			}
		},

		/**
		Takes in an attempt's answer: counts it for the limit being learned, closes the gate on a 429 with a
		`Retry-After` (the latest wins), learns from the first 429 of a cycle, earns budget on a success and
		sets a latch on an answer that warrants one.
		*/
		async observe(attempt: AttemptScope, sentAt: number, answer: Answer): Promise<void> {
			const scope = await keyScope(attempt.headers);
			if (answer.status < 400 && config.budget !== undefined) {
				await store.add(key('budget'), config.budget.earn, {initial: config.budget.burst, max: config.budget.burst, ttlMs: Number.POSITIVE_INFINITY});
			}

			const latch = latchFor(answer.status, answer.code, attempt.path, config.latch);
			if (latch !== undefined) {
				const body = JSON.stringify(answer.body ?? null);
				await store.set(key('latch', latch.name, scope), JSON.stringify({status: answer.status, body: body.length <= latchBodyLimit ? answer.body : undefined}), latch.ttlMs);
			}

			if (!config.gate) {
				return;
			}

			// The cycle started with the client's first request, or when the gate last opened.
			const cycle = await store.add(key('cycle', scope), 0, {initial: sentAt, max: Number.POSITIVE_INFINITY, ttlMs: memoryMs});
			if (answer.status !== 429) {
				await store.add(key('admitted', scope, String(cycle)), 1, {initial: 0, max: Number.POSITIVE_INFINITY, ttlMs: memoryMs});
				return;
			}

			if (answer.retryAfterMs === undefined) {
				return;
			}

			const until = Date.now() + answer.retryAfterMs;
			// Only a 429 to a request sent while the gate was open is news; the others were already in flight.
			if (await numberAt(key('gate', scope)) <= sentAt) {
				const learned = learn(cycle, await numberAt(key('admitted', scope, String(cycle))), until);
				if (learned !== undefined) {
					await store.set(key('learned', scope), JSON.stringify(learned), memoryMs);
				}

				await store.set(key('cycle', scope), String(until), memoryMs);
			}

			await store.set(key('gate', scope), String(until), Math.max(1, answer.retryAfterMs));
		},

		/** Spends one token of the retry budget; `false` when it is empty. Always `true` without a budget. */
		async spend(): Promise<boolean> {
			return config.budget === undefined || store.take(key('budget'), 1, {initial: config.budget.burst, ttlMs: Number.POSITIVE_INFINITY});
		},
	};
};

/** The shared state of one client's calls. */
export type Coordinator = ReturnType<typeof createCoordinator>;
