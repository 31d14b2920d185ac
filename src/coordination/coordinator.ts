import {boundedJson} from '../bounded-json.js';
import type {HeadersLike} from '../redact.js';
import {sleep} from '../sleep.js';
import {keyScope} from './key-scope.js';
import {latchFor, latchesOn, parseLatched, pathOf, type LatchedFailure} from './latch.js';
import type {ResolvedCoordination} from './options.js';
import type {StoreAnswer, StoreOp} from './store.js';
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
rate controller, the per-minute pacer, and the retry budget. An attempt takes one store step before it
is sent and one after its answer; a step more when something changed (a latch was set, the gate closed,
a 429 taught the limit) or when a pacer held it.
*/
export const createCoordinator = (config: ResolvedCoordination) => {
	const {store} = config;
	const key = (...parts: ReadonlyArray<string | number>): string => parts.join(':');
	// The gate, the learned window and the pacer belong to the client, whatever key a request carries: Knouds
	// limits are per account, and a client speaks for one. Latches belong to keys: a dead key is one key.
	const window = createWindow(key);
	// Keys are built once: every attempt reads them, and a new string would be hashed again for each lookup.
	const [paceKey, budgetKey, anyLatchKey] = [key('pace'), key('budget'), key('latch')];
	// The configured pacer's spacing: evenly spaced slots, whatever was learned.
	const paceInterval = config.requestsPerMinute === undefined ? undefined : 60_000 / config.requestsPerMinute;
	const paceTtl = paceInterval === undefined ? 0 : Math.max(60_000, paceInterval * 2);
	const budget = config.budget;
	// How far the store's clock is ahead of this process's, as of the last step: instants kept in the store
	// are on its clock, so that processes whose clocks differ agree on them.
	let offset = 0;
	let clockKnown = false;
	const run = async (ops: readonly StoreOp[]): Promise<StoreAnswer> => {
		const answer = await store.run(ops);
		offset = answer.now - Date.now();
		clockKnown = true;
		return answer;
	};

	const estimate = (): number => Date.now() + offset;
	// Whether any latch was ever set in the store, as far as this client has seen: then a call's first
	// attempt reads its latches in its step; until then only whether one was set.
	let latchSeen = false;
	// When the gates this client closed open, on its own clock: the latest end any of its 429s announced.
	let ownGate = 0;

	// The latches' own keys, read once a latch was seen: the key's digest is worked out only then.
	const latchOps = async (attempt: AttemptScope): Promise<StoreOp[]> => {
		const scope = await keyScope(attempt.request.headers, attempt.request.url);
		return latchesOn(pathOf(attempt.request.url)).map(name => ({op: 'absent', key: key('latch', name, scope)}));
	};

	// Why an attempt must not wait `wait` ms at a closed gate: longer than the caller allows, or past the deadline.
	const stopAtGate = (attempt: AttemptScope, wait: number): Admission | undefined => {
		if (wait > attempt.maxRetryAfter) {
			return {kind: 'gated', retryAfterMs: wait, reason: 'retry-after-too-long'};
		}

		// Said as the rate limit it is, with the wait: a bare timeout would not say why nothing was sent.
		return attempt.deadline !== undefined && Date.now() + wait >= attempt.deadline ? {kind: 'gated', retryAfterMs: wait, reason: 'total-timeout'} : undefined;
	};

	// Waits `waitMs` for a pacer, unless the deadline comes first. Sleeps are capped at a timer's limit, so a
	// longer wait is waited for in turns.
	const waitFor = async (attempt: AttemptScope, waitMs: number): Promise<boolean> => {
		const until = Date.now() + Math.ceil(waitMs);
		if (attempt.deadline !== undefined && until >= attempt.deadline) {
			return false;
		}

		for (let left = until - Date.now(); left > 0; left = until - Date.now()) {
			await sleep(left, attempt.request.signal);
		}

		return true;
	};

	return {
		/** Whether the store's steps may hang or fail, so that waits on them need bounds. */
		guarded: config.guarded,

		/**
		Waits until an attempt may be sent: no latch holds it, the gate is open, and the learned pace and
		the configured pacer have room. In the common case that is one step.
		*/
		async admit(attempt: AttemptScope): Promise<Admission> {
			let checkLatches = attempt.first;
			let paced = paceInterval === undefined;
			let heldIn: number | undefined;
			for (;;) {
				// Until a latch was seen, only the flag: no digest, and no wait for one, on every call's first attempt.
				const ops: StoreOp[] = !checkLatches ? [] : latchSeen ? await latchOps(attempt) : [{op: 'absent', key: anyLatchKey}];
				const latchCount = ops.length;
				// A gate this client closed itself holds it whatever the store says: a 429 met while the store was
				// down is known only here, and must not be forgotten when the store answers again.
				const ownWait = config.gate ? ownGate - Date.now() : 0;
				const plan = config.gate && ownWait <= 0 ? window.plan(estimate(), clockKnown) : undefined;
				if (plan !== undefined) {
					ops.push(plan.gate);
				}

				// The configured pacer, behind the gate: a closed gate holds a request without spending a slot.
				const reserveAt = ops.length;
				if (!paced && paceInterval !== undefined && ownWait <= 0) {
					ops.push({op: 'reserve', key: paceKey, intervalMs: paceInterval, ttlMs: paceTtl});
				}

				const restAt = ops.length;
				ops.push(...plan?.ops ?? []);
				const answer = ops.length === 0 ? {now: estimate(), results: [], stopped: false} : await run(ops);
				const {results} = answer;
				if (answer.stopped && results.length <= latchCount) {
					const failure = parseLatched(results.at(-1) as string | undefined);
					if (failure !== undefined && latchSeen) {
						return {kind: 'latched', failure};
					}

					// The flag says latches were set: read them. A latch that is garbage latches nothing.
					checkLatches = !latchSeen;
					latchSeen = true;
					continue;
				}

				checkLatches = false;
				const gate = ownWait > 0 ? {waitMs: ownWait} : plan?.gateWait(answer, latchCount);
				if (gate !== undefined) {
					const stop = stopAtGate(attempt, gate.waitMs);
					if (stop !== undefined) {
						return stop;
					}

					await sleep(gate.waitMs, attempt.request.signal);
					// A pacer slot taken before this wait has passed meanwhile: take a fresh one, so that calls the
					// gate held do not all go together when it opens.
					paced = paceInterval === undefined;
					continue;
				}

				if (!paced) {
					paced = true;
					if (answer.stopped && results.length === reserveAt + 1) {
						// The gate may close while the pacer holds the attempt: look at it again after the wait.
						if (!await waitFor(attempt, Number(results[reserveAt]))) {
							return {kind: 'deadline'};
						}

						continue;
					}
				}

				const verdict = plan?.read(answer, restAt, heldIn) ?? {kind: 'send', sentAt: answer.now, cycle: undefined};
				// A 429 this client met while the step was on its way closed a gate the step could not see yet: the
				// attempt waits for it instead of following the 429 into the server.
				if (verdict.kind === 'send' && !(config.gate && ownGate > Date.now())) {
					return verdict;
				}

				if (verdict.kind === 'send' || verdict.kind === 'changed') {
					continue;
				}

				// The learned pace holds it: wait for its turn (in whole milliseconds, as timers count), then look at
				// the gate again.
				if (!await waitFor(attempt, verdict.waitMs)) {
					return {kind: 'deadline'};
				}

				heldIn = verdict.cycle;
			}
		},

		/**
		Takes in an attempt's answer, in one step: counts it for the limit being learned, earns budget on a
		success and sets a latch on an answer that warrants one. A 429 closes the gate (for its
		`Retry-After`, or until a later end another 429 announced) and teaches the limit, in steps of its own.
		*/
		async observe(attempt: AttemptScope, admission: Sent, answer: Answer): Promise<void> {
			const ops: StoreOp[] = [];
			if (answer.status < 400 && budget !== undefined) {
				ops.push({op: 'add', key: budgetKey, delta: budget.earn, initial: budget.burst, max: budget.burst, ttlMs: Number.POSITIVE_INFINITY});
			}

			// Only a 401 or a 402 can latch; the path (parsed from the URL) is not worth reading for anything else.
			const latch = answer.status === 401 || answer.status === 402 ? latchFor(answer.status, answer.code, pathOf(attempt.request.url), config.latch) : undefined;
			if (latch !== undefined) {
				// The body is kept only when small and shallow enough to serialise safely: a latch must set whatever the body.
				const body = answer.body === undefined ? undefined : boundedJson(answer.body, latchBodyLimit);
				const value = body === undefined ? `{"status":${answer.status}}` : `{"status":${answer.status},"body":${body}}`;
				// The flag is kept for good, whatever the latch's own time: it only says that latches must be looked for.
				ops.push({op: 'set', key: key('latch', latch.name, await keyScope(attempt.request.headers, attempt.request.url)), value, ttlMs: latch.ttlMs}, {op: 'set', key: anyLatchKey, value: '1', ttlMs: Number.POSITIVE_INFINITY});
				latchSeen = true;
			}

			if (config.gate && answer.status !== 429) {
				ops.push(...window.countOps(admission, estimate()));
			}

			if (ops.length > 0) {
				await run(ops);
			}

			// A 429 that does not say how long to wait (a gateway's) closes nothing and teaches nothing.
			if (config.gate && answer.status === 429 && answer.retryAfterMs !== undefined) {
				ownGate = Math.max(ownGate, Date.now() + answer.retryAfterMs);
				await window.closeGate(run, admission, answer.retryAfterMs, estimate);
			}
		},

		/** Spends one token of the retry budget; `false` when it is empty. Always `true` without a budget. */
		async spend(): Promise<boolean> {
			if (budget === undefined) {
				return true;
			}

			const {results} = await run([{op: 'take', key: budgetKey, amount: 1, initial: budget.burst, ttlMs: Number.POSITIVE_INFINITY}]);
			return results[0] === 1;
		},
	};
};

/** The shared state of one client's calls. */
export type Coordinator = ReturnType<typeof createCoordinator>;
