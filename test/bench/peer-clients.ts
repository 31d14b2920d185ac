/**
The retry layers users pick instead of knouds-retry, each as it is commonly configured: its defaults,
changed only where they would leave a POST model run unretried. Each counts its traffic through the probe.
*/
import {setTimeout as sleep} from 'node:timers/promises';
import axios, {isAxiosError, type AxiosResponseHeaders, type RawAxiosResponseHeaders} from 'axios';
import axiosRetry, {isNetworkOrIdempotentRequestError, isRetryableError} from 'axios-retry';
import got from 'got';
import pRetry from 'p-retry';
import type {BenchClient} from './clients.ts';
import type {Call} from './harness.ts';

const path = (call: Call): string => `v1/models/${call.model}/run`;
const body = (call: Call): {inputs: {call: number}} => ({inputs: {call: call.id}});

/**
p-retry around fetch, the way its README shows it: throw on a non-2xx, let p-retry retry. Its defaults
are 10 retries from 1 s doubling, no jitter, and it knows neither Retry-After nor which statuses are
terminal, so it retries 402 INSUFFICIENT_CREDITS and 403 CAPABILITY_DENIED like any other failure.
*/
export const pRetryClient: BenchClient = {
	name: 'p-retry + fetch',
	create: (url, probe, signal) => async call => {
		try {
			await pRetry(async () => {
				const response = await probe.fetch(`${url}/${path(call)}`, {
					method: 'POST',
					headers: {'x-api-key': call.key, 'content-type': 'application/json'},
					body: JSON.stringify(body(call)),
					signal: signal ?? null,
				});
				if (!response.ok) {
					// Reading the body for the message also frees the connection.
					throw new Error(`${response.status}: ${await response.text()}`);
				}

				return response.json();
			}, {signal});
			return true;
		} catch {
			return false;
		}
	},
};

/**
got's built-in retry with its defaults (2 retries; 408, 413, 429, 500, 502, 503, 504, 521, 522, 524 and
network errors; backoff 1 s doubling plus up to 100 ms noise; Retry-After honoured with no cap when no
request timeout is set), except POST added to `retry.methods`: got's default methods leave POST out,
so a model run would never be retried. beforeRequest runs once per attempt, retries included, and
afterResponse once per response that arrives, before got decides to throw or retry.
*/
export const gotClient: BenchClient = {
	name: 'got',
	create(url, probe, signal) {
		const api = got.extend({
			prefixUrl: url,
			retry: {methods: [...got.defaults.options.retry.methods ?? [], 'POST']},
			hooks: {
				beforeRequest: [() => {
					probe.sent();
				}],
				afterResponse: [response => {
					probe.received(response.statusCode, response.headers['retry-after']);
					return response;
				}],
			},
		});
		return async call => {
			try {
				await api.post(path(call), {headers: {'x-api-key': call.key}, json: body(call), signal}).json();
				return true;
			} catch {
				return false;
			}
		};
	},
};

const retryAfterOf = (headers: RawAxiosResponseHeaders | AxiosResponseHeaders): string | undefined => {
	const value: unknown = headers['retry-after'];
	return typeof value === 'string' ? value : undefined;
};

/**
axios with axios-retry's defaults (3 retries; network errors, 429 and 5xx), except a retryCondition that
lets POST through: the default, isNetworkOrIdempotentRequestError, retries a POST only on a network
error, never on a 429 or 5xx answer. Its default retryDelay (noDelay) does honour Retry-After: it waits
exactly the header's seconds (or until its date) and retries at once when there is none, so a 5xx is
resent immediately, three times in a row. The probe's interceptors are added before axios-retry's, so
they see each attempt once: a retry is a fresh request through every interceptor.
*/
export const axiosClient: BenchClient = {
	name: 'axios + axios-retry',
	create(url, probe, signal) {
		const api = axios.create({baseURL: `${url}/`});
		api.interceptors.request.use(config => {
			probe.sent();
			return config;
		});
		api.interceptors.response.use(response => {
			probe.received(response.status, retryAfterOf(response.headers));
			return response;
		}, async (error: unknown) => {
			if (isAxiosError(error) && error.response !== undefined) {
				probe.received(error.response.status, retryAfterOf(error.response.headers));
			}

			throw error;
		});
		axiosRetry(api, {retryCondition: error => isNetworkOrIdempotentRequestError(error) || (error.config?.method === 'post' && isRetryableError(error))});
		return async call => {
			try {
				await api.post(path(call), body(call), {headers: {'x-api-key': call.key}, ...(signal === undefined ? {} : {signal})});
				return true;
			} catch {
				return false;
			}
		};
	},
};

const maxRetries = 2;

// The wait before a retry: the server's when it asks for 0 to 60 s, else 0.5 s doubling to 8 s, less up to 25%.
const openAiDelay = (headers: Headers | undefined, retriesDone: number): number => {
	const ms = Number.parseFloat(headers?.get('retry-after-ms') ?? '');
	const seconds = Number.parseFloat(headers?.get('retry-after') ?? '');
	const date = Date.parse(headers?.get('retry-after') ?? '');
	const asked = Number.isFinite(ms) ? ms : Number.isFinite(seconds) ? seconds * 1000 : Number.isFinite(date) ? date - Date.now() : Number.NaN;
	if (asked >= 0 && asked < 60_000) {
		return asked;
	}

	return Math.min(500 * (2 ** retriesDone), 8000) * (1 - (Math.random() * 0.25));
};

const openAiRetryable = (status: number): boolean => status === 408 || status === 409 || status === 429 || status >= 500;

/**
The OpenAI Node SDK's retry policy, reproduced from its documented behaviour (the SDK is not installed
here, so this is not its code): 2 retries on connection errors, 408, 409, 429 and >= 500, waiting the
server's retry-after-ms or retry-after when it is 0 to 60 s, else 0.5 s × 2^retry capped at 8 s minus
up to 25% jitter. The SDK also obeys an `x-should-retry` header, which the simulator never sends.
*/
export const openAiStyleClient: BenchClient = {
	name: 'OpenAI-SDK-style',
	create: (url, probe, signal) => async call => {
		try {
			for (let retriesDone = 0; ; retriesDone++) {
				let response: Response | undefined;
				try {
					response = await probe.fetch(`${url}/${path(call)}`, {
						method: 'POST',
						headers: {'x-api-key': call.key, 'content-type': 'application/json'},
						body: JSON.stringify(body(call)),
						signal: signal ?? null,
					});
				} catch (error) {
					// A connection error is retried; the caller's own abort is not.
					if (signal?.aborted === true || retriesDone === maxRetries) {
						throw error;
					}
				}

				if (response?.ok === true) {
					await response.json();
					return true;
				}

				await response?.body?.cancel();
				if (response !== undefined && (retriesDone === maxRetries || !openAiRetryable(response.status))) {
					return false;
				}

				await sleep(openAiDelay(response?.headers, retriesDone), undefined, {signal});
			}
		} catch {
			return false;
		}
	},
};
