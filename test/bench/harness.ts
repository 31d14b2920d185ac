/**
The bench harness: runs a batch of model runs through a client against a fresh simulator, with bounded
concurrency, and reports what the client did (through a probe) and what the simulator saw.
*/
import {setTimeout as delay} from 'node:timers/promises';
import {knoudsErrorCatalog} from 'knouds-retry';
import {createKnoudsSimulator, type ScenarioInput} from 'knouds-retry/testing';
import {runBatch} from '../../demo/batch.ts';
import type {BenchClient} from './clients.ts';
import {createProbe, type ProbeStats} from './probe.ts';

/** One logical call of a batch. */
export type Call = {readonly id: number; readonly key: string; readonly model: string};

/** A scenario to measure, with its batch. */
export type Case = {
	readonly name: string;
	readonly scenario: ScenarioInput;
	/** How many times each client runs the batch; tables show the median of each figure. */
	readonly runs: number;
	readonly batch: readonly Call[];
	readonly concurrency: number;
	/** The shortest makespan the server's limit allows for the batch, from the moment it starts. */
	readonly ideal?: (startedAt: number) => number;
	/**
	How long a run may take, in milliseconds (default 60 s): some clients retry for many minutes in an outage.
	At the limit the client's signal aborts and the calls still running count as not succeeded.
	*/
	readonly limitMs?: number;
	/**
	How one run of a client is measured: by default `measure`, on a fresh simulator in real time. The
	fake-clock harness takes its place where real windows would take minutes.
	*/
	readonly measure?: (test: Case, client: BenchClient) => Promise<Figures>;
	/** A line printed under the case's table: what a reader must know to read it (a fake clock, say). */
	readonly note?: string;
	/**
	Start each run at the start of a clock-aligned window of this many milliseconds. A whole-second
	Retry-After cannot tell a client where in a one-second window it is, so no client that honours it
	can use the rest of a window the batch happens to start late in: an ideal that counts that rest would
	judge the phase of the clock, not the client.
	*/
	readonly alignTo?: number;
};

/** What one run (or the median of several) measured. */
export type Figures = ProbeStats & {
	readonly calls: number;
	readonly succeeded: number;
	readonly makespanMs: number;
	readonly idealMs: number | undefined;
	/** Requests answered with a terminal code beyond the first such answer of each call: retries of what cannot succeed. */
	readonly terminalRetried: number;
	/** Calls that had not finished when the case's time limit passed (counted as not succeeded). */
	readonly unfinished: number;
};

const terminalCodes = new Set(Object.entries(knoudsErrorCatalog).filter(([, entry]) => !entry.retryable).map(([code]) => code));

/** Calls with the same key and model, numbered. */
export const uniformBatch = (size: number, key = 'sim-pro-key', model = 'text-small'): Call[] =>
	Array.from({length: size}, (_, id) => ({id, key, model}));

/** The time limit of a case, in milliseconds. */
export const limitOf = (test: Pick<Case, 'limitMs'>): number => test.limitMs ?? 60_000;

// How long a run cut off by its limit may take to wind down once the simulator is closed, so that its
// calls do not spill into the next run; every client gets the signal, so they need far less.
const windDownMs = 10_000;

const abortedPromise = async (signal: AbortSignal): Promise<void> => new Promise(resolve => {
	signal.addEventListener('abort', () => {
		resolve();
	}, {once: true});
});

/** Runs a case's batch once through a client, on a fresh simulator, within the case's time limit. */
export const measure = async (test: Case, client: BenchClient): Promise<Figures> => {
	const sim = await createKnoudsSimulator({scenario: test.scenario});
	const probe = createProbe();
	const signal = AbortSignal.timeout(limitOf(test));
	const send = client.create(sim.url, probe, signal);
	let finished = 0;
	let succeeded = 0;
	let terminalCalls = 0;
	if (test.alignTo !== undefined) {
		await delay(test.alignTo - (Date.now() % test.alignTo));
	}

	const startedAt = Date.now();
	// Calls not started by the limit are never sent; results that land after it do not count.
	const batch = runBatch(test.batch, test.concurrency, async call => {
		if (signal.aborted) {
			return false;
		}

		// Only calls with another key than Pro's can meet a terminal answer; each may meet one.
		terminalCalls += call.key === 'sim-pro-key' ? 0 : 1;
		return send(call);
	}, ok => {
		if (!signal.aborted) {
			finished++;
			succeeded += ok ? 1 : 0;
		}
	});
	try {
		await Promise.race([batch, abortedPromise(signal)]);
		const makespanMs = Date.now() - startedAt;
		const stats = sim.stats();
		const terminalAnswers = Object.entries(stats.byOutcome).filter(([outcome]) => terminalCodes.has(outcome)).reduce((sum, [, count]) => sum + count, 0);
		return {
			calls: test.batch.length,
			succeeded,
			makespanMs,
			idealMs: test.ideal?.(startedAt),
			terminalRetried: Math.max(0, terminalAnswers - terminalCalls),
			unfinished: test.batch.length - finished,
			...probe.stats(),
		};
	} finally {
		await sim.close();
		await Promise.race([batch, delay(windDownMs, undefined, {ref: false})]);
	}
};

const median = (values: readonly number[]): number => {
	const sorted = [...values].sort((a, b) => a - b);
	const middle = Math.floor(sorted.length / 2);
	return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

/** The median of each figure over several runs, each taken on its own. */
export const medians = (runs: readonly Figures[]): Figures => {
	const of = (pick: (figures: Figures) => number): number => median(runs.map(pick));
	const ideal = runs.map(run => run.idealMs).filter(value => value !== undefined);
	return {
		calls: of(run => run.calls),
		succeeded: of(run => run.succeeded),
		sent: of(run => run.sent),
		tooMany: of(run => run.tooMany),
		sentDuringKnownWait: of(run => run.sentDuringKnownWait),
		makespanMs: of(run => run.makespanMs),
		idealMs: ideal.length === 0 ? undefined : median(ideal),
		terminalRetried: of(run => run.terminalRetried),
		unfinished: of(run => run.unfinished),
	};
};

/** One client's figures in a case. */
export type Row = Figures & {readonly client: string};

/** Runs a case through every client, `runs` times each, one after the other. */
export const runCase = async (test: Case, clients: readonly BenchClient[]): Promise<Row[]> => {
	const rows: Row[] = [];
	for (const client of clients) {
		const runs: Figures[] = [];
		for (let run = 0; run < test.runs; run++) {
			runs.push(await (test.measure ?? measure)(test, client));
		}

		rows.push({client: client.name, ...medians(runs)});
	}

	return rows;
};

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

/**
A case's rows as a markdown table, with its note under it. `missing` names clients that could not run
(a server they need did not answer), each with why, as rows of their own.
*/
export const table = (test: Pick<Case, 'name' | 'runs' | 'note' | 'limitMs'>, rows: readonly Row[], missing: ReadonlyArray<{readonly client: string; readonly why: string}> = []): string => {
	const lines = [
		`### ${test.name}${test.runs > 1 ? ` (median of ${test.runs} runs)` : ''}`,
		'',
		'| client | calls succeeded | requests per call | 429s received | sent during a known Retry-After | terminal errors retried | makespan | makespan / ideal |',
		'|---|---|---|---|---|---|---|---|',
		...rows.map(row => `| ${row.client} | ${row.succeeded} / ${row.calls}${row.unfinished > 0 ? ` (${row.unfinished} cut off at ${limitOf(test) / 1000} s)` : ''} | ${(row.sent / row.calls).toFixed(2)} | ${row.tooMany} | ${row.sentDuringKnownWait} | ${row.terminalRetried} | ${seconds(row.makespanMs)} | ${row.idealMs === undefined ? 'n/a' : `${(row.makespanMs / row.idealMs).toFixed(2)} (ideal ${seconds(row.idealMs)})`} |`),
		...missing.map(({client, why}) => `| ${client} | not run: ${why} | | | | | | |`),
		'',
		...test.note === undefined ? [] : [test.note, ''],
	];
	return lines.join('\n');
};
