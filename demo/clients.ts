import ky, {isHTTPError, isTimeoutError, type KyInstance, type RetryOptions} from 'ky';
import {isKnoudsError, knoudsRetry, type FetchLike, type KnoudsRetryOptions} from 'knouds-retry';
import type {Call, Result} from './batch.ts';
import {formatRetry} from './format.ts';

/** What a client counts while it runs, besides the results. */
export type ClientTally = {
	/** Retries by what failed, named as `failureCode` names it. */
	readonly retriesByCode: Map<string, number>;
	/** Milliseconds the client spent waiting between attempts, summed over calls. */
	waitedMs: number;
	/** Model runs resent after a network error: unless the connection failed before sending, the run may have happened. */
	postsResentAfterNetworkError: number;
	/** Whether the client's retry resends a POST at all (ky's default retry leaves POST out of `methods`). */
	readonly resendsPost: boolean;
};

/** A client under test: how it sends one call, and what it counts. */
export type Client = {readonly send: (call: Call) => Promise<Result>; readonly tally: ClientTally};

const field = (body: unknown, name: string): unknown =>
	typeof body === 'object' && body !== null && name in body ? (body as Record<string, unknown>)[name] : undefined;

/**
Every client's failures are named the same way: the Knouds code, else what the failure was. A
PROVIDER_SUBMIT_FAILED carries the provider's status, which decides whether a retry can help.
*/
const failureCode = (error: unknown): string => {
	if (isKnoudsError(error) || isHTTPError(error)) {
		const code = field(error.data, 'code');
		const providerStatus = field(error.data, 'providerStatus');
		if (typeof code === 'string') {
			return code === 'PROVIDER_SUBMIT_FAILED' && typeof providerStatus === 'number' ? `${code} (${providerStatus})` : code;
		}

		const {status} = error.response;
		return status >= 500 ? 'SERVER_ERROR' : `HTTP ${status} (no code)`;
	}

	return isTimeoutError(error) ? 'TIMEOUT' : 'NETWORK_ERROR';
};

const newTally = (resendsPost: boolean): ClientTally => ({retriesByCode: new Map(), waitedMs: 0, postsResentAfterNetworkError: 0, resendsPost});

const recordRetry = (tally: ClientTally, method: string, error: unknown, waitedMs: number): void => {
	const code = failureCode(error);
	tally.retriesByCode.set(code, (tally.retriesByCode.get(code) ?? 0) + 1);
	tally.waitedMs += waitedMs;
	if (method.toUpperCase() === 'POST' && code === 'NETWORK_ERROR') {
		tally.postsResentAfterNetworkError++;
	}
};

type Run = {executionId: string; status: string; creditsCharged?: number};
type Execution = {status: string; code?: string};

// An async run is only a success once its execution has succeeded: poll it (the simulator's runs take no time).
const sender = (api: KyInstance) => async (call: Call): Promise<Result> => {
	const headers = {'x-api-key': call.key};
	let accepted: string | undefined;
	try {
		const run = await api.post(`v1/models/${call.model}/run`, {
			headers,
			searchParams: call.async ? {async: 'true'} : {},
			json: {inputs: {prompt: 'a lighthouse at dusk', call: call.id}},
		}).json<Run>();
		accepted = run.executionId;
		const execution: Execution = run.status === 'running' ? await api.get(`v1/executions/${run.executionId}`, {headers}).json<Execution>() : run;
		return execution.status === 'succeeded'
			? {ok: true, executionId: run.executionId, creditsCharged: run.creditsCharged ?? 0}
			: {ok: false, code: execution.code ?? `execution ${execution.status}`, executionId: run.executionId};
	} catch (error) {
		// An async run that was accepted (and charged) but whose poll failed still names its execution.
		return {
			ok: false,
			code: failureCode(error),
			...(isKnoudsError(error) && error.stopReason !== undefined ? {stopReason: error.stopReason} : {}),
			...(accepted === undefined ? {} : {executionId: accepted}),
		};
	}
};

/** How a demo client is set up beyond its URL: the fetch it sends with, and knouds-retry's options (a shared store, say). */
export type ClientSetup = {readonly fetch?: FetchLike; readonly options?: KnoudsRetryOptions};

/** The client this project makes: ky wrapped by knoudsRetry with its default policy, or with `setup.options` over it. */
export const knoudsClient = (url: string, setup: ClientSetup = {}): Client => {
	const tally = newTally(true);
	const api = knoudsRetry(ky.create({baseUrl: `${url}/`, ...(setup.fetch === undefined ? {} : {fetch: setup.fetch})}), {
		...setup.options,
		onRetry(event) {
			recordRetry(tally, event.method, event.error, event.delay);
		},
	});
	return {send: sender(api), tally};
};

/**
ky's retry as a careful user sets it for an API like this one: POST resent too, on a 429 (waiting its
`Retry-After`) and on a 5xx, up to five times, with jittered backoff. ky's default leaves POST out of its
`methods`, so it never resends a model run.
*/
export const tunedKyRetry = {
	limit: 5,
	methods: ['get', 'post', 'put', 'head', 'delete', 'options', 'trace'],
	statusCodes: [429, 500, 502, 503, 504],
	afterStatusCodes: [429],
	jitter: true,
} satisfies RetryOptions;

/** A plain ky client with the given retry options (ky's default when there are none); `setup.options` does not apply. */
export const kyClient = (retry?: RetryOptions) => (url: string, setup: ClientSetup = {}): Client => {
	const tally = newTally(retry?.methods?.includes('post') ?? false);
	const api = ky.create({baseUrl: `${url}/`, ...(retry === undefined ? {} : {retry}), ...(setup.fetch === undefined ? {} : {fetch: setup.fetch})});
	const send = async (call: Call): Promise<Result> => {
		// ky asks shouldRetry once a failure may be retried, then waits, then runs beforeRetry: the time between is the wait.
		let failedAt = 0;
		return sender(api.extend({
			retry: {
				shouldRetry() {
					failedAt = performance.now();
					return undefined;
				},
			},
			hooks: {
				beforeRetry: [({request, error}) => {
					recordRetry(tally, request.method, error, performance.now() - failedAt);
				}],
			},
		}))(call);
	};

	return {send, tally};
};

/** The clients the demo compares, knouds-retry first: the others are compared with it. */
export const demoClients: ReadonlyArray<{readonly name: string; readonly description: string; readonly client: (url: string) => Client}> = [
	{name: 'knouds-retry', description: 'knoudsRetry(ky.create(...)), default options', client: knoudsClient},
	{name: 'ky default', description: 'ky.create(...) with ky\'s default retry, which leaves out POST: no run is ever resent', client: kyClient()},
	{name: 'ky tuned', description: `ky.create({retry: ${formatRetry(tunedKyRetry)}}): ky's retry as a careful user sets it, resending POST on 429 and 5xx`, client: kyClient(tunedKyRetry)},
];
