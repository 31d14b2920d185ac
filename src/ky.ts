import {isKyError, isHTTPError, TimeoutError, type BeforeErrorHook, type InitHook, type Input, type KyInstance, type NormalizedOptions, type Options, type ResponsePromise} from 'ky';
import {boundBodyReads, boundErrorParse, type BodyTimeout} from './ky-body-timeout.js';
import {execute, outcomeOf, type CallSettings} from './engine.js';
import {KnoudsError} from './errors/knouds-error.js';
import {explain, notResentText} from './errors/message.js';
import {resolveOptions, type FetchLike, type KnoudsRetryOptions, type ResolvedOptions} from './options.js';
import {supportsRequestStreams} from './request-streams.js';
import {redactError} from './redact-error.js';
import {hideProperty, redactRequest} from './redact.js';
import {secretsOfCall} from './secret-values.js';
import {maxTimer} from './sleep.js';
import {fail} from './validate.js';

// ky's own default per-attempt timeout, kept so that wrapping a client does not change it.
const kyDefaultTimeout = 10_000;

const redactKyError = (error: Error & {request?: Request}): void => {
	if (error.request instanceof Request) {
		hideProperty(error, 'request', redactRequest(error.request.url, error.request.method, error.request.headers));
	}
};

// ky's NetworkError and TimeoutError say what failed; for a request not resent because it may have run, say why and what to do.
const notResent = (error: Error, outcome: ReturnType<typeof outcomeOf>, method: string): void => {
	if (outcome?.init.stopReason === 'not-idempotent') {
		explain(error, notResentText(method));
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
		return new KnoudsError(error.response, {...init, request, options, data: error.data, attempts: outcome === undefined ? Math.max(1, call.sent.count) : call.sent.count});
	}

	const outcome = outcomeOf(error) ?? outcomeOf(error.cause);
	if (outcomeOf(error)?.timeout !== undefined) {
		const timeout = new TimeoutError(request);
		redactKyError(timeout);
		notResent(timeout, outcome, request.method);
		return redactError(timeout, secretsOfCall(request, undefined)) as Error;
	}

	if (isKyError(error)) {
		redactKyError(error);
		notResent(error, outcome, request.method);
	}

	// ky's messages quote the URL, query included.
	return redactError(error, secretsOfCall(request, undefined)) as Error;
};

// ky's retry stays on only for `ky.retry()` forced from the user's afterResponse hooks; every failure is ours alone.
const forcedRetriesOnly = (retry: Options['retry'], hasAfterResponse: boolean): NonNullable<Options['retry']> => {
	if (!hasAfterResponse) {
		// -0 rather than 0: the same to ky (and as cheap to normalise as any number), while a later init hook
		// that sets `retry: 0` can be told apart from this with Object.is.
		return -0;
	}

	const base = typeof retry === 'number' ? {limit: retry} : retry ?? {};
	return {...base, shouldRetry: () => false};
};

// The platform's fetch, looked up on every call so that a test's mock of it applies; one function for all calls.
const globalFetch: FetchLike = (input, init) => globalThis.fetch(input, init);

// What the init hook of the call being made left for the call's wrapper: set and read synchronously,
// since ky runs init hooks inside the call, before it returns.
let madeCall: BodyTimeout | undefined;

// What ky hands hooks as `options`: the call's options without ky's own, as ky's normalised options are,
// with the method and headers as the request went (upper case, a Headers), and the retry the caller asked for.
const kyOwnOptions: ReadonlySet<string> = new Set(['hooks', 'json', 'parseJson', 'stringifyJson', 'searchParams', 'timeout', 'totalTimeout', 'throwHttpErrors', 'fetch']);
// ky fills in the body (a `json` option, stringified), the prefix, the context, its own signal and the
// streams' duplex before it hands options to hooks; so does this.
const hookOptions = (kyOptions: Options, request: Request | undefined, retry: Options['retry']): Readonly<NormalizedOptions> => Object.freeze({
	...Object.fromEntries(Object.entries(kyOptions).filter(([name]) => !kyOwnOptions.has(name))),
	method: request?.method ?? (kyOptions.method ?? 'get').toUpperCase(),
	headers: request?.headers ?? new Headers(kyOptions.headers as ConstructorParameters<typeof Headers>[0]),
	prefix: typeof kyOptions.prefix === 'string' || kyOptions.prefix instanceof URL ? String(kyOptions.prefix) : '',
	context: kyOptions.context ?? {},
	...request && {signal: request.signal},
	...supportsRequestStreams() && {duplex: 'half'},
	...kyOptions.json !== undefined && {body: (kyOptions.stringifyJson ?? JSON.stringify)(kyOptions.json)},
	retry,
}) as unknown as Readonly<NormalizedOptions>;

// Takes what the init hook left, so that nothing of one call is seen by the next.
const takeMadeCall = (): BodyTimeout | undefined => {
	const made = madeCall;
	madeCall = undefined;
	return made;
};

// ky's timeouts as ky reads them: it validates nothing but the upper bound (a number past a timer's limit
// makes ky reject the call with its own RangeError, left to ky), and anything else that is not a positive
// number runs out at once, as a timer of 0 ms would.
const kyTimeout = (value: unknown): number => typeof value === 'number' && value > 0 ? value : 0;

// ky's `retry: 0` (a number, or `{limit: 0}`), on the client or the call: the caller asked for no retries.
const retriesOff = (retry: Options['retry']): boolean => retry === 0 || (typeof retry === 'object' && retry.limit === 0);

// Whether ky would take the `retry` option. One it would refuse is left in place for ky to refuse, with
// its own error, as it would without the wrapper.
const isValidRetry = (retry: unknown): boolean => {
	const limit = (value: unknown): boolean => value === undefined || (typeof value === 'number' && Number.isInteger(value) && value >= 0);
	if (retry === undefined || typeof retry === 'number') {
		return limit(retry);
	}

	return typeof retry === 'object' && retry !== null && !Array.isArray(retry)
		&& limit((retry as {limit?: unknown}).limit)
		&& ['methods', 'statusCodes', 'afterStatusCodes'].every(name => {
			const value = (retry as Record<string, unknown>)[name];
			return value === undefined || Array.isArray(value);
		});
};

const initHook = (options: ResolvedOptions): InitHook => kyOptions => {
	if ((typeof kyOptions.timeout === 'number' && kyOptions.timeout > maxTimer) || (typeof kyOptions.totalTimeout === 'number' && kyOptions.totalTimeout > maxTimer) || !isValidRetry(kyOptions.retry)) {
		// Left to ky, which refuses the call with its own error before anything is sent.
		return;
	}

	const call: CallSettings = {
		fetch: (kyOptions.fetch as FetchLike | undefined) ?? globalFetch,
		platformFetch: kyOptions.fetch === undefined,
		attemptTimeout: kyOptions.timeout === false ? undefined : kyTimeout(kyOptions.timeout ?? kyDefaultTimeout),
		deadline: kyOptions.totalTimeout === undefined || kyOptions.totalTimeout === false ? undefined : Date.now() + kyTimeout(kyOptions.totalTimeout),
		sent: {count: 0},
		// Read at a failure, from the options ky goes on with: an init hook of the call's own, which runs after
		// this one, may still set `retry`.
		retriesOff: () => retriesOff(Object.is(kyOptions.retry, replaced) ? asked : kyOptions.retry),
		signalPerCall: true,
		answered: {controller: undefined},
	};
	let sent: Request | undefined;
	// Not an async function: no promise more than the engine's own on every attempt.
	kyOptions.fetch = (input, init) => {
		if (input instanceof Request) {
			sent = input;
		}

		return execute(options, input, init, call);
	};
	if (kyOptions.parseJson !== undefined && call.attemptTimeout !== undefined) {
		kyOptions.parseJson = boundErrorParse(kyOptions.parseJson, call.attemptTimeout);
	}

	// The engine bounds each attempt, so that waits between attempts do not count against `timeout`.
	// ky keeps `totalTimeout` as the outer bound (hooks, body reads); the engine stops before it when a wait would cross it.
	kyOptions.timeout = false;
	const asked = kyOptions.retry;
	const replaced = forcedRetriesOnly(asked, (kyOptions.hooks?.afterResponse?.length ?? 0) > 0);
	kyOptions.retry = replaced;
	const beforeError = [surfaceError(call), ...kyOptions.hooks?.beforeError ?? []];
	kyOptions.hooks = {...kyOptions.hooks, beforeError};
	madeCall = call.attemptTimeout === undefined ? undefined : {ms: call.attemptTimeout, request: () => sent, beforeError, options: () => hookOptions(kyOptions, sent, asked), abort: reason => call.answered.controller?.abort(reason)};
};

type Call = (input: Input, options?: Options) => ResponsePromise;

/**
A ky call function whose shortcuts' body reads are bounded by the call's `timeout`, as with ky, and
which throws with the call's credentials redacted: ky merges headers and builds its Request the moment
it is called, before any hook of ours runs, and a key it refuses (one with a newline) is quoted whole.
*/
const bounded = (make: Call): Call => (input, options) => {
	takeMadeCall();
	let result: ResponsePromise;
	try {
		result = make(input, options);
	} catch (error) {
		throw redactError(error, secretsOfCall(input, options));
	}

	const timeout = takeMadeCall();
	return timeout === undefined ? result : boundBodyReads(result, timeout);
};

// `extend` and `create`, which throw the same way on defaults that hold a refused credential.
const guarded = <T>(make: () => T, defaults: unknown): T => {
	try {
		return make();
	} catch (error) {
		throw redactError(error, secretsOfCall(undefined, defaults));
	}
};

// Thrown by the probe's init hook, so that the probe call ends before anything is built or sent.
const probeStop = Symbol('knouds-retry.probe');

/**
Whether a client runs ky 2's `init` hooks, which knouds-retry needs. ky 1 has none, and would silently
leave every call without retries. The probe call sends nothing: ky 2 runs init hooks synchronously
before anything else, where ours throws; ky 1 throws at once on the invalid input instead.
*/
const runsInitHooks = (client: KyInstance): boolean => {
	const probe = client.extend({hooks: {init: [() => {
		// eslint-disable-next-line @typescript-eslint/only-throw-error -- a sentinel, never seen outside this function
		throw probeStop;
	}]}});
	try {
		const pending: unknown = probe(0 as unknown as string);
		// Not reached by ky 1 or 2; a look-alike that answered anyway must not leave a rejection unhandled.
		Promise.resolve(pending).catch(() => undefined);
		return false;
	} catch (error) {
		return error === probeStop;
	}
};

const wrap = (raw: KyInstance, options: ResolvedOptions): KyInstance => {
	const inner = raw.extend({hooks: {init: [initHook(options)]}});
	const instance: KyInstance = Object.assign(bounded(inner), inner, {
		get: bounded(inner.get),
		post: bounded(inner.post),
		put: bounded(inner.put),
		patch: bounded(inner.patch),
		head: bounded(inner.head),
		delete: bounded(inner.delete),
		// Re-wrapping the raw extension keeps our init hook last, after any the user adds.
		extend: (defaults: Parameters<KyInstance['extend']>[0]) => guarded(() => wrap(raw.extend(defaults), options), defaults),
		create: (defaults?: Options) => guarded(() => wrap(raw.create(defaults), options), defaults),
	});
	return instance;
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

	if (!runsInitHooks(client)) {
		throw new TypeError('Expected `client` to be a ky 2 instance: this one does not run `init` hooks (ky 1 or older), so knouds-retry could not retry its calls. Install ky 2.1 or later (`npm install ky@^2.1.0`), or use `createKnoudsFetch()`.');
	}

	// Options of createKnoudsFetch() that ky has already: say where they go instead of only that they are unknown.
	const given: unknown = options;
	const kyOwn = typeof given === 'object' && given !== null ? ['timeout', 'totalTimeout', 'fetch'].find(name => Object.hasOwn(given, name)) : undefined;
	if (kyOwn !== undefined) {
		throw new TypeError(`\`${kyOwn}\` is not an option of knoudsRetry(): set it on the ky client, as \`ky.create({${kyOwn}})\` or in a call's options, where ky reads it and knouds-retry follows it.`);
	}

	return wrap(client, resolveOptions(options, {}, 'knoudsRetry()'));
};
