/**
`npm run demo` (demo/demo.ts runs this unless given `--fleet`): the same batch of model runs against the
Knouds API simulator on its `chaos` scenario, through knoudsRetry(ky), through ky with its default retry
and through ky with its retry set as a careful user sets it, reported side by side with what the
differences mean.
*/
import {Worker} from 'node:worker_threads';
import {MultiBar, Presets} from 'cli-progress';
import {scenarios} from 'knouds-retry/testing';
import {batch, planBatch} from './batch.ts';
import {demoClients} from './clients.ts';
import {chargesMatch, printPlan, printReport, type Run} from './report.ts';
import type {WorkerMessage} from './worker.ts';

const calls = planBatch(batch.size);
const scenario = scenarios[batch.scenario];
const nameWidth = Math.max(...demoClients.map(({name}) => name.length));

const bars = new MultiBar({
	format: '  {name} {bar} {value}/{total} calls | {ok} ok, {failed} failed | {requests} requests',
	noTTYOutput: true,
	notTTYSchedule: 2000,
	hideCursor: true,
}, Presets.shades_classic);

// Each client runs in a worker thread of its own, against its own simulator, all at the same time.
const run = async (index: number, name: string): Promise<Run> => new Promise((resolve, reject) => {
	const bar = bars.create(calls.length, 0, {name: name.padEnd(nameWidth), ok: 0, failed: 0, requests: 0});
	const worker = new Worker(new URL('worker.ts', import.meta.url), {workerData: index});
	worker.on('message', (message: WorkerMessage) => {
		if (message.kind === 'progress') {
			bar.update(message.done, message);
		} else {
			resolve(message.run);
		}
	});
	worker.on('error', reject);
	worker.on('exit', code => {
		reject(new Error(`The ${name} worker exited with code ${code} before it reported its run.`));
	});
});

printPlan({calls, concurrency: batch.concurrency, scenario, clients: demoClients});
const runs = await Promise.all(demoClients.map(async ({name}, index) => run(index, name))).finally(() => {
	bars.stop();
});
printReport(runs, calls, scenario);
if (runs[0] !== undefined && !chargesMatch(runs[0])) {
	console.error('\nknouds-retry: the simulator charged for a run the client never got, or twice. This is a bug; please report it.');
	process.exitCode = 1;
}
