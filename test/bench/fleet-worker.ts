/**
One process of the bench's fleet of processes (test/bench/fleet-processes.ts): forked by the bench,
it runs its share of the batch through one client against the simulator the bench started, and sends
back what it got and the timeline of its traffic. A process serves one run after another, with a new
client (and so a new in-memory store) each time.
*/
import {once} from 'node:events';
import type {Redis} from 'ioredis';
import {createRedisStore} from 'knouds-retry/redis';
import {runBatch} from '../../demo/batch.ts';
import {serveParent} from '../../demo/process-child.ts';
import {connectRedis} from '../../demo/redis.ts';
import {newTimeline, recordingFetch, type Timeline} from '../../demo/timeline.ts';
import {knoudsClient, knoudsClientWith, kyClient, type BenchClient} from './clients.ts';
import {uniformBatch} from './harness.ts';
import {createProbe} from './probe.ts';

/** Which client a fleet runs: ky's retry, knouds-retry with each process's own memory store, or knouds-retry sharing a Redis store. */
export type FleetKind = 'ky' | 'memory' | 'redis';

/** One process's part of a run. */
export type FleetOrder = {
	readonly url: string;
	readonly kind: FleetKind;
	/** The Redis server and prefix the `redis` fleet shares. */
	readonly redis?: {readonly url: string; readonly prefix: string};
	readonly calls: number;
	readonly concurrency: number;
	/** As a case's `limitMs`: at the limit the client's signal aborts, and calls still running count as unfinished. */
	readonly limitMs: number;
};

/** What one process did in a run. */
export type FleetResult = {
	readonly succeeded: number;
	/** Calls that ended (either way) before the limit. */
	readonly finished: number;
	/** When its last call ended, or the limit passed (epoch milliseconds). */
	readonly finishedAt: number;
	readonly timeline: Timeline;
	/** Store operations that failed or timed out (`onStoreError`), each done on the process's own state instead. */
	readonly storeErrors: number;
};

const clientFor = (order: FleetOrder, redis: Redis | undefined, onStoreError: () => void): BenchClient => {
	if (order.kind === 'ky') {
		return kyClient;
	}

	if (order.kind === 'memory' || redis === undefined || order.redis === undefined) {
		return knoudsClient;
	}

	return knoudsClientWith('knouds-retry, Redis store', {store: createRedisStore({client: redis, prefix: order.redis.prefix}), onStoreError});
};

serveParent<FleetOrder, FleetResult>(async order => {
	if (order.kind === 'redis' && order.redis === undefined) {
		throw new Error('The Redis fleet needs a Redis server and prefix in its order.');
	}

	const redis = order.redis === undefined ? undefined : await connectRedis(order.redis.url);
	let storeErrors = 0;
	const client = clientFor(order, redis, () => {
		storeErrors++;
	});
	const timeline = newTimeline();
	const probe = createProbe(recordingFetch(timeline));
	return async () => {
		const signal = AbortSignal.timeout(order.limitMs);
		const send = client.create(order.url, probe, signal);
		let finished = 0;
		let succeeded = 0;
		// As the harness: calls not started by the limit are never sent; results that land after it do not count.
		const batch = runBatch(uniformBatch(order.calls), order.concurrency, async call => !signal.aborted && send(call), ok => {
			if (!signal.aborted) {
				finished++;
				succeeded += ok ? 1 : 0;
			}
		});
		await Promise.race([batch, once(signal, 'abort')]);
		const finishedAt = Date.now();
		redis?.disconnect();
		return {succeeded, finished, finishedAt, timeline, storeErrors};
	};
});
