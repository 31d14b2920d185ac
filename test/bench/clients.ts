import ky, {type KyInstance} from 'ky';
import {knoudsRetry, type KnoudsRetryOptions} from 'knouds-retry';
import type {Call} from './harness.ts';
import type {Probe} from './probe.ts';

/**
A client under test: a name, and how to make one that sends a call and says whether it succeeded.
`signal` aborts when the case's time limit passes: the client should give up its calls then.
*/
export type BenchClient = {
	readonly name: string;
	readonly create: (url: string, probe: Probe, signal?: AbortSignal) => (call: Call) => Promise<boolean>;
};

const run = (api: KyInstance) => async (call: Call): Promise<boolean> => {
	try {
		await api.post(`v1/models/${call.model}/run`, {headers: {'x-api-key': call.key}, json: {inputs: {call: call.id}}}).json();
		return true;
	} catch {
		return false;
	}
};

/** knouds-retry with `options` over its defaults (a shared store, say), under the given name. */
export const knoudsClientWith = (name: string, options: KnoudsRetryOptions): BenchClient => ({
	name,
	create: (url, probe, signal) => run(knoudsRetry(ky.create({baseUrl: `${url}/`, fetch: probe.fetch, signal: signal ?? null}), options)),
});

/** knouds-retry with its defaults: the shared gate, the retry budget, the default policy. */
export const knoudsClient: BenchClient = knoudsClientWith('knouds-retry', {});

/**
ky's built-in retry, allowed to retry POST (its default leaves POST out), with enough retries to finish
a rate-limited batch and its backoff capped at 1 s so that an outage run ends in minutes, not days
(ky's backoff doubles from 300 ms without a cap). It honours Retry-After on 429 by default.
*/
export const kyClient: BenchClient = {
	name: 'ky retry',
	create: (url, probe, signal) => run(ky.create({baseUrl: `${url}/`, fetch: probe.fetch, signal: signal ?? null, retry: {limit: 20, methods: ['post'], backoffLimit: 1000}})),
};
