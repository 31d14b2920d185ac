import {learn, parseLimit, type Limit} from './learning.js';
import {paceRate} from './rate.js';
import type {StoreAnswer, StoreOp} from './store.js';

/**
An attempt let through: when (on the store's clock), in which cycle (none without a gate), the learned
window's length (which sets how long the cycle's counters are kept), and whether it waited for the pacer
(then its success is evidence that the pace it went at is one the server takes).
*/
export type Sent = {readonly kind: 'send'; readonly sentAt: number; readonly cycle: number | undefined; readonly windowMs?: number | undefined; readonly paced?: boolean};

/** How long the record is remembered without news. */
export const memoryMs = 3_600_000;

/** The least a cycle's counters are kept after their last change: longer than an answer takes to come back. */
export const cycleMemoryMs = 10_000;

/**
How long a cycle's counters are kept after a change at `now`: twice the cycle's age so far, and past the
end of its learned window, if one is known, by `cycleMemoryMs`; at least `cycleMemoryMs`, at most
`memoryMs`. A counter is read only while its cycle runs and by the 429 that ends it, so short cycles (a
sub-second Retry-After) leave nothing behind for long, while a per-minute window keeps its count for all
of its minute.
*/
export const cycleTtl = (now: number, cycle: number, windowMs?: number): number =>
	Math.min(memoryMs, Math.max(cycleMemoryMs, 2 * (now - cycle), windowMs === undefined ? 0 : cycle + windowMs - now + cycleMemoryMs));

const count = (value: string | number | undefined): number => {
	const number = Number(value ?? 0);
	return Number.isFinite(number) ? number : 0;
};

/**
The cycle a moment belongs to: from the gate's last opening, or, while the limit looks like a window, once
a learned window has passed without a 429, the window that follows, so that a quiet spell leaves no
used-up window behind. With a refill learned, a cycle lasts until the next 429: the pacer's burst comes
back as the server's does, with time.
*/
export const cycleAt = (now: number, {cycle, learned}: Limit): number => learned === undefined || learned.refill !== undefined || now < cycle + learned.windowMs
	? cycle
	: cycle + (Math.floor((now - cycle) / learned.windowMs) * learned.windowMs);

/** What a step said of an attempt at the gate: wait for it, look again (the record changed), wait for the pace, or go. */
export type Verdict =
	| {readonly kind: 'gate'; readonly waitMs: number}
	| {readonly kind: 'changed'}
	| {readonly kind: 'held'; readonly waitMs: number; readonly cycle: number}
	| Sent;

/**
A step's share for an attempt: the gate's operation (which may stop the step, see `gateWait`), then the
operations that check the record and pace the attempt, read by `read` from the index they start at.
*/
export type Plan = {
	readonly gate: StoreOp;
	readonly gateWait: (answer: StoreAnswer, index: number) => {readonly kind: 'gate'; readonly waitMs: number} | undefined;
	readonly ops: readonly StoreOp[];
	readonly read: (answer: StoreAnswer, offset: number, heldIn: number | undefined) => Exclude<Verdict, {readonly kind: 'gate'}>;
};

/** A run of store steps: the coordinator's, which keeps track of the store's clock. */
export type Run = (ops: readonly StoreOp[]) => Promise<StoreAnswer>;

/** How many times a 429's lesson is tried again when another process rewrote the record meanwhile. */
const contendedTries = 3;

/**
The rate limit a client's calls learn, over a store. The gate is a key of its own, present while a
Retry-After runs and expiring when it ends, so that its wait is measured on the store's clock. One record
holds the current cycle and what was learned. A cycle runs from one reopening of the gate to the next; in
each, the pacer lets the learned burst through at once, then paces the rest (see `paceRate`). Each cycle
counts what the server admitted, and the 429 that ends it teaches from that count (see `learn`). The
first cycle starts with the first request, and a new one an hour after the last news.

The record is kept here as last seen, so that an attempt's step can pace it at once and only check that
the record has not changed (`expect`); after a change, the attempt takes one step more.
*/
export const createWindow = (key: (...parts: ReadonlyArray<string | number>) => string) => {
	// Keys are built once: every attempt uses them, and a new string would be hashed again for each lookup.
	const [limitKey, gateKey] = [key('limit'), key('gate')];
	let known: {readonly text: string; readonly limit: Limit} | undefined;
	// Set when the store held something that is not a record: the next step writes a fresh one over it.
	let garbled = false;
	// The count of paced successes last read, for the cycle it was read for: the pace's rate grows with it.
	let grown = {cycle: Number.NaN, count: 0};
	let last: {readonly cycle: number; readonly pace: string; readonly admitted: string; readonly grown: string; readonly first: string} | undefined;
	const keysOf = (cycle: number): NonNullable<typeof last> => {
		if (last?.cycle !== cycle) {
			last = {cycle, pace: key('paced', cycle), admitted: key('admitted', cycle), grown: key('grown', cycle), first: key('first', cycle)};
		}

		return last;
	};

	// An hour after the last news, and an hour after its gate opens when that is later: a Retry-After longer
	// than an hour must not take what was learned with it.
	const recordTtl = (limit: Limit, now: number): number => Math.max(memoryMs, limit.until - now + memoryMs);
	const fresh = (now: number): Limit => ({until: 0, cycle: now, learned: undefined});

	const gateOp: StoreOp = {op: 'absent', key: gateKey};
	// A gate present at its last millisecond holds an attempt one more. One that is not a number is
	// garbage: it is looked at again each second until it expires, as any gate does.
	const gateWait: Plan['gateWait'] = (answer, index) => {
		if (!answer.stopped || answer.results.length !== index + 1) {
			return undefined;
		}

		const waitMs = Number(answer.results[index]) - answer.now;
		return {kind: 'gate', waitMs: Number.isFinite(waitMs) ? Math.max(1, waitMs) : 1000};
	};

	const adopt = (text: string | number | undefined): void => {
		const limit = typeof text === 'string' ? parseLimit(text) : undefined;
		known = limit && {text: text as string, limit};
		garbled = limit === undefined && text !== undefined;
	};

	// The plan of an attempt while the record is as last seen and nothing is learned: the same each time.
	let unpaced: {readonly known: NonNullable<typeof known>; readonly plan: Plan} | undefined;

	return {
		/**
		A step's share for an attempt: the operations that check the gate and the record, and pace the
		attempt if a limit was learned (the gate's `absent`, the record's `expect`, or `init` when none is
		known, or `set` over garbage, then, with a learned limit, the read of the cycle's paced successes and
		`pace`), and how to read what they did. `now` is the store's clock as the coordinator last saw it:
		it picks the cycle, which the step then paces.
		*/
		plan(now: number, clockKnown = true): Plan {
			if (garbled || known === undefined) {
				const limit = fresh(now);
				const value = JSON.stringify(limit);
				// A fresh record's cycle starts now on the store's clock, which a client knows only once a step
				// has answered: until then it only reads the record, and writes one with its next step.
				const op = garbled ? 'set' : clockKnown ? 'init' : 'get';
				return {
					gate: gateOp,
					gateWait,
					ops: [op === 'get' ? {op, key: limitKey} : {op, key: limitKey, value, ttlMs: recordTtl(limit, now)}],
					read(answer, offset) {
						adopt(op === 'set' ? value : answer.results[offset]);
						// With a limit learned, the attempt must be paced by it: one step more.
						return known === undefined || known.limit.learned !== undefined ? {kind: 'changed'} : {kind: 'send', sentAt: answer.now, cycle: cycleAt(answer.now, known.limit)};
					},
				};
			}

			if (known.limit.learned === undefined && unpaced?.known === known) {
				return unpaced.plan;
			}

			const current = known;
			const {text, limit} = current;
			const {learned} = limit;
			const ops: StoreOp[] = [{op: 'expect', key: limitKey, value: text}];
			const cycle = cycleAt(now, limit);
			if (learned !== undefined) {
				const keys = keysOf(cycle);
				const rate = paceRate(learned, grown.cycle === cycle ? grown.count : 0, now - cycle);
				// A window's burst comes once per cycle (a new cycle brings the next): in between the pace lets one
				// request at a time through, however long it sat idle, since a window that was used up stays so. A
				// refilling server's bucket fills again while the client is idle, and so does the pace's.
				const max = learned.refill === undefined ? 1 : learned.admitted;
				ops.push({op: 'get', key: keys.grown}, {op: 'pace', key: keys.pace, intervalMs: 1 / rate, burst: learned.admitted, max, ttlMs: cycleTtl(now, cycle, learned.windowMs)});
			}

			const plan: Plan = {
				gate: gateOp,
				gateWait,
				ops,
				read(answer, offset, heldIn) {
					const {results, now: at} = answer;
					if (answer.stopped && results.length === offset + 1) {
						adopt(results[offset]);
						return {kind: 'changed'};
					}

					if (learned === undefined) {
						return {kind: 'send', sentAt: at, cycle: cycleAt(at, limit)};
					}

					grown = {cycle, count: count(results[offset + 1])};
					if (answer.stopped) {
						return {kind: 'held', waitMs: Number(results[offset + 2]), cycle};
					}

					// Only a hold in this cycle says the pace was tested: one held in an earlier cycle goes in this one's burst.
					return {kind: 'send', sentAt: at, cycle, windowMs: learned.windowMs, paced: heldIn === cycle};
				},
			};
			if (learned === undefined) {
				unpaced = {known: current, plan};
			}

			return plan;
		},

		/** The operations that count an attempt the server admitted (any answer but a 429), and, if the pacer held it, as evidence for a faster pace. */
		countOps(admission: Sent, now: number): StoreOp[] {
			if (admission.cycle === undefined) {
				return [];
			}

			const keys = keysOf(admission.cycle);
			const ttlMs = cycleTtl(now, admission.cycle, admission.windowMs);
			const ops: StoreOp[] = [{op: 'add', key: keys.admitted, delta: 1, initial: 0, max: Number.POSITIVE_INFINITY, ttlMs}];
			// When the cycle's first answer came, once a limit is learned: the refill a 429 measures runs from
			// there, since an answer and the 429 both took the way back, and the burst's way out is not counted.
			if (admission.windowMs !== undefined) {
				ops.push({op: 'stamp', key: keys.first, ttlMs});
			}

			if (admission.paced === true) {
				// Counted here too, so that this client's next pace has it before the store is read again.
				if (grown.cycle === admission.cycle) {
					grown = {cycle: grown.cycle, count: grown.count + 1};
				}

				ops.push({op: 'add', key: keys.grown, delta: 1, initial: 0, max: Number.POSITIVE_INFINITY, ttlMs});
			}

			return ops;
		},

		/**
		Closes the gate for `waitMs` on a 429, unless it is closed until later already: no request goes
		before the end any 429 announced. Only a 429 to a request sent while the gate
		was open is news (the others were already in flight): it ends the cycle, which teaches what the
		server admits, and the next cycle starts when the gate reopens. The record is rewritten only if no
		other process rewrote it meanwhile; after a few such races the gate closes without the lesson.
		*/
		async closeGate(run: Run, admission: Sent, waitMs: number, estimate: () => number): Promise<void> {
			// Expiring at `until` on the store's clock, however late the step that writes it runs.
			const gate = (until: number): StoreOp => ({op: 'setUntil', key: gateKey, until});
			for (let tries = 0; tries < contendedTries; tries++) {
				const {cycle} = admission;
				const keys = cycle === undefined ? undefined : keysOf(cycle);
				// The gate closes with the first step, on the store's clock as last seen, so that other processes stop
				// a round trip sooner; the lesson's step closes it again on the store's own.
				const reads: StoreOp[] = [{op: 'get', key: limitKey}, ...keys === undefined ? [] : [{op: 'get', key: keys.admitted}, {op: 'get', key: keys.first}, {op: 'get', key: keys.grown}] as const];
				const {now, results} = await run(tries === 0 ? [...reads, gate(estimate() + waitMs)] : reads);
				const text = typeof results[0] === 'string' ? results[0] : undefined;
				const limit = parseLimit(text) ?? fresh(now);
				const until = now + waitMs;
				let next: Limit;
				if (limit.until > admission.sentAt || cycle === undefined) {
					next = {...limit, until: Math.max(limit.until, until)};
				} else {
					const first = Number(results[2]);
					const rateAtEnd = limit.learned?.refill === undefined ? undefined : paceRate(limit.learned, count(results[3]), now - cycle);
					next = {until, cycle: until, learned: learn(limit.learned, {start: cycle, admitted: count(results[1]), endedAt: now, until, rateAtEnd, firstAnswerAt: Number.isFinite(first) && results[2] !== undefined ? first : undefined})};
				}

				const nextText = JSON.stringify(next);
				const written = await run([{op: 'expect', key: limitKey, value: text}, {op: 'set', key: limitKey, value: nextText, ttlMs: recordTtl(next, now)}, gate(until)]);
				if (!written.stopped) {
					known = {text: nextText, limit: next};
					garbled = false;
					return;
				}
			}

			await run([gate(estimate() + waitMs)]);
		},
	};
};
