/**
`npm run demo`: the same batch of model runs against the Knouds API simulator on its `chaos` scenario,
once through knoudsRetry(ky) and once through plain ky, reported side by side.
*/
import {SingleBar, Presets} from 'cli-progress';
import {createKnoudsSimulator} from 'knouds-retry/testing';
import {planBatch, runBatch, type Call, type Result} from './batch.ts';
import {knoudsClient, plainKyClient, type ClientTally} from './clients.ts';
import {chargesMatch, printReport, type Run} from './report.ts';

const calls = planBatch(300);
const concurrency = 16;
const scenario = 'chaos';

const run = async (name: string, client: (url: string) => {send: (call: Call) => Promise<Result>; tally: ClientTally}): Promise<Run> => {
	// Each client meets a fresh simulator with the same seed: same limits, same fault rates.
	const sim = await createKnoudsSimulator({scenario});
	const {send, tally} = client(sim.url);
	const bar = new SingleBar({
		format: `  ${name.padEnd(13)} {bar} {value}/{total} calls | {ok} ok, {failed} failed | {requests} requests`,
		noTTYOutput: true,
		notTTYSchedule: 2000,
		hideCursor: true,
	}, Presets.shades_classic);
	let ok = 0;
	let failed = 0;
	bar.start(calls.length, 0, {ok, failed, requests: 0});
	const started = performance.now();
	try {
		const results = await runBatch(calls, concurrency, send, result => {
			ok += result.ok ? 1 : 0;
			failed += result.ok ? 0 : 1;
			bar.increment({ok, failed, requests: sim.stats().requests});
		});
		const elapsedMs = performance.now() - started;
		bar.update({requests: sim.stats().requests});
		return {name, results, tally, stats: sim.stats(), elapsedMs};
	} finally {
		bar.stop();
		await sim.close();
	}
};

console.log(`${calls.length} model runs at concurrency ${concurrency} against the Knouds API simulator ('${scenario}': rate limits, provider failures, proxy pages, resets, slow answers)\n`);
const knouds = await run('knouds-retry', knoudsClient);
const plain = await run('plain ky', plainKyClient);
printReport([knouds, plain]);
console.log('\nky\'s default retry never resends a POST: each failed run reached the plain client at once (it retried only its GET polls).');
if (!chargesMatch(knouds)) {
	console.error('\nknouds-retry: the simulator charged for a run the client never got, or twice. This is a bug; please report it.');
	process.exitCode = 1;
}
