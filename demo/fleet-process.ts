/**
One process of `npm run demo -- --fleet`: forked by demo/fleet.ts, it sends its share of the fleet's
calls through one client and reports each result as it lands, then what it got and the timeline of its
traffic.
*/
import {createRedisStore} from 'knouds-retry/redis';
import {runBatch, type Call} from './batch.ts';
import {knoudsClient, kyClient, tunedKyRetry, type Client} from './clients.ts';
import {serveParent} from './process-child.ts';
import {connectRedis} from './redis.ts';
import {newTimeline, recordingFetch, type Timeline} from './timeline.ts';

/** How a fleet's processes send: ky with its retry tuned, or knouds-retry with each process's own memory store, or with one Redis store. */
export type DemoFleetKind = 'ky' | 'memory' | 'redis';

/** One process's share of a fleet. */
export type DemoOrder = {
	readonly url: string;
	readonly kind: DemoFleetKind;
	/** The Redis server and prefix the `redis` fleet shares. */
	readonly redis?: {readonly url: string; readonly prefix: string};
	readonly calls: number;
	readonly concurrency: number;
};

/** What one process got: its failures by code, and its traffic. */
export type DemoResult = {
	readonly ok: number;
	readonly failures: Readonly<Record<string, number>>;
	/** When its last call ended (epoch milliseconds). */
	readonly finishedAt: number;
	readonly timeline: Timeline;
};

/** One result, as it lands. */
export type DemoProgress = {readonly ok: boolean};

// Healthy synchronous Pro runs only: what the fleets are compared on is how they share the account's limit.
const proCall = (id: number): Call => ({id, key: 'sim-pro-key', model: 'text-small', async: false, purpose: 'pro'});

serveParent<DemoOrder, DemoResult, DemoProgress>(async (order, progress) => {
	if (order.kind === 'redis' && order.redis === undefined) {
		throw new Error('The Redis fleet needs a Redis server and prefix in its order.');
	}

	const redis = order.redis === undefined ? undefined : await connectRedis(order.redis.url);
	const timeline = newTimeline();
	const fetch = recordingFetch(timeline);
	const store = redis === undefined || order.redis === undefined ? undefined : createRedisStore({client: redis, prefix: order.redis.prefix});
	const client: Client = order.kind === 'ky'
		? kyClient(tunedKyRetry)(order.url, {fetch})
		: knoudsClient(order.url, {fetch, ...(store === undefined ? {} : {options: {store}})});
	return async () => {
		const failures: Record<string, number> = {};
		let ok = 0;
		await runBatch(Array.from({length: order.calls}, (_, id) => proCall(id)), order.concurrency, client.send, result => {
			if (result.ok) {
				ok++;
			} else {
				failures[result.code] = (failures[result.code] ?? 0) + 1;
			}

			progress({ok: result.ok});
		});
		const finishedAt = Date.now();
		redis?.disconnect();
		return {ok, failures, finishedAt, timeline};
	};
});
