import {isKyError, isHTTPError, TimeoutError, type BeforeErrorHook, type InitHook, type KyInstance, type Options} from 'ky';
import {execute, outcomeOf, type CallSettings} from './engine.js';
import {KnoudsError} from './errors/knouds-error.js';
import {resolveOptions, resolveTimeout, type FetchLike, type KnoudsRetryOptions, type ResolvedOptions} from './options.js';
import {guardCalls} from './ky-guard.js';
import {redactError} from './redact-error.js';
import {hideProperty, redactRequest} from './redact.js';
import {secretsOfCall} from './secret-values.js';
import {fail} from './validate.js';

// ky's own default per-attempt timeout, kept so that wrapping a client does not change it.
const kyDefaultTimeout = 10_000;

const redactKyError = (error: Error & {request?: Request}): void => {
	if (error.request instanceof Request) {
		hideProperty(error, 'request', redactRequest(error.request.url, error.request.method, error.request.headers));
	}
};

// Runs first among beforeError hooks, so the user's own hooks see the typed, redacted error.
const surfaceError = (call: CallSettings): BeforeErrorHook => ({error, request, options}) => {
	if (isHTTPError(error) && !(error instanceof KnoudsError)) {
		// A response an afterResponse hook replaced has no outcome: read what ky parsed.
		const outcome = outcomeOf(error.response);
		const init = outcome?.init ?? {body: error.data};
		// ky's request and options, redacted by KnoudsError; attempts include ky.retry() forced runs, and
		// are 0 for a call refused before it sent anything (a latch, a gate too long).
		return new KnoudsError(error.response, {...init, request, options, attempts: outcome === undefined ? Math.max(1, call.sent.count) : call.sent.count});
	}

	if (outcomeOf(error)?.timeout !== undefined) {
		const timeout = new TimeoutError(request);
		redactKyError(timeout);
		return redactError(timeout, secretsOfCall(request, undefined)) as Error;
	}

	if (isKyError(error)) {
		redactKyError(error);
	}

	// ky's messages quote the URL, query included.
	return redactError(error, secretsOfCall(request, undefined)) as Error;
};

// ky's retry stays on only for `ky.retry()` forced from the user's afterResponse hooks; every failure is ours alone.
const forcedRetriesOnly = (retry: Options['retry'], hasAfterResponse: boolean): NonNullable<Options['retry']> => {
	if (!hasAfterResponse) {
		return 0;
	}

	const base = typeof retry === 'number' ? {limit: retry} : retry ?? {};
	return {...base, shouldRetry: () => false};
};

// The platform's fetch, looked up on every call so that a test's mock of it applies; one function for all calls.
const globalFetch: FetchLike = (input, init) => globalThis.fetch(input, init);

const initHook = (options: ResolvedOptions): InitHook => kyOptions => {
	const call: CallSettings = {
		fetch: (kyOptions.fetch as FetchLike | undefined) ?? globalFetch,
		platformFetch: kyOptions.fetch === undefined,
		attemptTimeout: kyOptions.timeout === false ? undefined : resolveTimeout('timeout', kyOptions.timeout ?? kyDefaultTimeout),
		deadline: typeof kyOptions.totalTimeout === 'number' ? Date.now() + (resolveTimeout('totalTimeout', kyOptions.totalTimeout) ?? 0) : undefined,
		sent: {count: 0},
	};
	kyOptions.fetch = (input, init) => execute(options, input, init, call);
	// The engine bounds each attempt, so that waits between attempts do not count against `timeout`.
	// ky keeps `totalTimeout` as the outer bound (hooks, body reads); the engine stops before it when a wait would cross it.
	kyOptions.timeout = false;
	kyOptions.retry = forcedRetriesOnly(kyOptions.retry, (kyOptions.hooks?.afterResponse?.length ?? 0) > 0);
	kyOptions.hooks = {...kyOptions.hooks, beforeError: [surfaceError(call), ...kyOptions.hooks?.beforeError ?? []]};
};

const wrap = (raw: KyInstance, options: ResolvedOptions): KyInstance => {
	const inner = raw.extend({hooks: {init: [initHook(options)]}});
	const instance: KyInstance = Object.assign(inner.bind(undefined), inner, {
		// Re-wrapping the raw extension keeps our init hook last, after any the user adds.
		extend: (defaults: Parameters<KyInstance['extend']>[0]) => wrap(raw.extend(defaults), options),
		create: (defaults?: Options) => wrap(raw.create(defaults), options),
	});
	return guardCalls(instance);
};

/**
Wraps a ky client so that its calls retry what the Knouds API says can be retried, and fail fast with
a `KnoudsError` on what cannot. The result is a ky instance that keeps everything the client had
(base URL, headers, hooks, timeouts) and has exactly one retry layer: ky's built-in retry is switched off.

ky's `timeout` bounds each attempt and `totalTimeout` the whole call, waits included. ky's `retry`
option only governs `ky.retry()` forced from your own `afterResponse` hooks.

@example
```
import ky from 'ky';
import {knoudsRetry} from 'knouds-retry';

const api = knoudsRetry(ky.create({baseUrl: 'https://api.knouds.example/', headers: {'x-api-key': key}}));
const output = await api.post('v1/models/flux/run', {json: {inputs}}).json();
```
*/
export const knoudsRetry = (client: KyInstance, options: KnoudsRetryOptions = {}): KyInstance => {
	if (typeof client !== 'function' || typeof (client as Partial<KyInstance>).extend !== 'function') {
		fail('client', 'a ky instance (from ky.create() or ky.extend())', client);
	}

	return wrap(client, resolveOptions(options, {}, 'knoudsRetry()'));
};
