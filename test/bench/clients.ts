import ky, {type KyInstance} from 'ky';
import {knoudsRetry, type FetchLike} from 'knouds-retry';

/** A client under test: a name and how to build it around a probe's fetch. */
export type ClientFactory = {
	readonly name: string;
	readonly create: (url: string, fetch: FetchLike) => KyInstance;
};

const headers = {'x-api-key': 'sim-pro-key'};

/** knouds-retry with its defaults: the shared gate, the retry budget, the default policy. */
export const knoudsClient: ClientFactory = {
	name: 'knouds-retry',
	create: (url, fetch) => knoudsRetry(ky.create({baseUrl: `${url}/`, headers, fetch})),
};

/**
ky's built-in retry, allowed to retry POST (its default leaves POST out), with enough retries to finish
a rate-limited batch and its backoff capped at 1 s so that an outage run ends in minutes, not days
(ky's backoff doubles from 300 ms without a cap). It honours Retry-After on 429 by default.
*/
export const kyClient: ClientFactory = {
	name: 'ky retry',
	create: (url, fetch) => ky.create({baseUrl: `${url}/`, headers, fetch, retry: {limit: 20, methods: ['post'], backoffLimit: 1000}}),
};
