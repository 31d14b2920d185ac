/**
One client's run of the demo's batch, in a thread of its own: the clients run side by side without
sharing an event loop, so none slows another's requests down.
*/
import {parentPort, workerData} from 'node:worker_threads';
import {createKnoudsSimulator} from 'knouds-retry/testing';
import {batch, planBatch, runBatch} from './batch.ts';
import {demoClients} from './clients.ts';
import type {Run} from './report.ts';

/** What a worker tells the demo: progress while it runs, then its run. */
export type WorkerMessage =
	| {readonly kind: 'progress'; readonly done: number; readonly ok: number; readonly failed: number; readonly requests: number}
	| {readonly kind: 'done'; readonly run: Run};

const post = (message: WorkerMessage): void => {
	parentPort?.postMessage(message);
};

const {name, client} = demoClients[Number(workerData)] ?? {};
if (name === undefined || client === undefined) {
	throw new Error(`No demo client number ${String(workerData)}.`);
}

// Each client meets its own simulator with the same seed: same limits, same fault rates.
const sim = await createKnoudsSimulator({scenario: batch.scenario});
const {send, tally} = client(sim.url);
let ok = 0;
let failed = 0;
const started = performance.now();
try {
	const results = await runBatch(planBatch(batch.size), batch.concurrency, send, result => {
		ok += result.ok ? 1 : 0;
		failed += result.ok ? 0 : 1;
		post({kind: 'progress', done: ok + failed, ok, failed, requests: sim.stats().requests});
	});
	const elapsedMs = performance.now() - started;
	post({kind: 'done', run: {name, results, tally, stats: sim.stats(), elapsedMs}});
} finally {
	await sim.close();
}
