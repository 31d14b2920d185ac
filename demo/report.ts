import {knoudsErrorCatalog} from 'knouds-retry';
import type {SimulatorStats} from 'knouds-retry/testing';
import type {Result} from './batch.ts';
import type {ClientTally} from './clients.ts';

/** One client's run: its results, its own tally and what the simulator saw. */
export type Run = {
	readonly name: string;
	readonly results: readonly Result[];
	readonly tally: ClientTally;
	readonly stats: SimulatorStats;
	readonly elapsedMs: number;
};

const otherActions: Readonly<Record<string, string>> = {
	NETWORK_ERROR: 'The connection dropped after the request was sent, so the run may have happened: a POST is not resent blindly. Check, then resend.',
	SERVER_ERROR: 'A proxy answered 5xx without a Knouds code: transient, retry with backoff.',
	TIMEOUT: 'No answer in time: retry if the call is idempotent.',
	'HTTP 401 (no code)': 'Check the `x-api-key` header: the key is missing, revoked or invalid.',
};

const actionFor = (code: string): string =>
	Object.hasOwn(knoudsErrorCatalog, code) ? knoudsErrorCatalog[code as keyof typeof knoudsErrorCatalog].action : otherActions[code] ?? '';

const succeeded = (run: Run) => run.results.filter(result => result.ok);

/**
Whether the simulator charged only for runs the client got, each once: every charge is a run the client
saw succeed, or one it saw accepted (an async run whose poll then failed), or an answer the simulator
could not deliver; every success it saw was charged; no run was charged twice.
*/
export const chargesMatch = (run: Run): boolean => {
	const charged = run.stats.charges.map(charge => charge.executionId);
	const got = new Set(run.results.flatMap(result => result.executionId === undefined ? [] : [result.executionId]));
	return new Set(charged).size === charged.length
		&& succeeded(run).every(result => charged.includes(result.executionId))
		&& charged.filter(executionId => !got.has(executionId)).length === run.stats.undelivered;
};

const failuresByCode = (run: Run): Map<string, number> => {
	const byCode = new Map<string, number>();
	for (const result of run.results) {
		if (!result.ok) {
			byCode.set(result.code, (byCode.get(result.code) ?? 0) + 1);
		}
	}

	return byCode;
};

const seconds = (ms: number | undefined): string => ms === undefined ? 'unknown' : `${(ms / 1000).toFixed(1)} s`;
const sum = (map: ReadonlyMap<string, number>): number => [...map.values()].reduce((total, value) => total + value, 0);

/** Prints the two runs side by side: outcomes, load, waits and the credit check. */
export const printReport = (runs: readonly [Run, Run]): void => {
	const rows: Array<[string, (run: Run) => string]> = [
		['calls that succeeded', run => String(succeeded(run).length)],
		['calls that failed', run => String(run.results.length - succeeded(run).length)],
		['requests sent', run => String(run.stats.requests)],
		['retries', run => String(sum(run.tally.retriesByCode))],
		['calls the retry budget stopped', run => String(run.results.filter(result => !result.ok && result.stoppedByBudget === true).length)],
		['waits before retries, summed', run => seconds(run.tally.waitedMs)],
		['429s received', run => String(run.stats.rateLimited)],
		['credits charged', run => String(run.stats.creditsCharged)],
		['charged only for runs it got', run => chargesMatch(run) ? 'yes, none twice' : 'NO'],
		['time taken', run => seconds(run.elapsedMs)],
	];
	const line = (label: string, cells: readonly string[]): string => `  ${label.padEnd(32)}${cells.map(cell => cell.padStart(18)).join('')}`;
	console.log(`\n${line('', runs.map(run => run.name))}`);
	for (const [label, cell] of rows) {
		console.log(line(label, runs.map(cell)));
	}

	const failures = runs.map(failuresByCode);
	const baseline = failuresByCode(runs[1]);
	const codes = [...new Set(failures.flatMap(byCode => [...byCode.keys()]))].sort((a, b) => (baseline.get(b) ?? 0) - (baseline.get(a) ?? 0));
	console.log(`\nFailed calls by code (${runs[0].name} / ${runs[1].name}), and what each needs:`);
	for (const code of codes) {
		const counts = failures.map(byCode => String(byCode.get(code) ?? 0)).join(' / ');
		console.log(`  ${code.padEnd(30)}${counts.padStart(9)}   ${actionFor(code)}`);
	}

	for (const run of runs) {
		const retries = [...run.tally.retriesByCode].map(([code, count]) => `${code} ${count}`).join(', ');
		console.log(`\nRetries by code, ${run.name}: ${retries || 'none'}`);
	}
};
