import {HTTPError, type NormalizedOptions} from 'ky';
import type {KnoudsCode} from '../catalog.js';
import type {StopReason} from '../decide.js';
import {boundedJson, maxJsonDepth} from '../bounded-json.js';
import {errorBodyFromValue, parseErrorBody, type ErrorBody} from '../error-body.js';
import {isTransient} from '../failure.js';
import {hideProperty, redactHeaders, redactOptionUrls, redactRequest, redactResponseUrl} from '../redact.js';
import {redactValues} from '../redact-values.js';
import {secretsOfCall} from '../secret-values.js';
import {messageFor} from './message.js';

// What toJSON() keeps of a body: structured logs need the summary small, and a body can be a 1 MiB page.
const summaryLimit = 2048;
const previewLimit = 500;

const summarised = (name: string, value: unknown): Record<string, unknown> => {
	if (value === undefined || boundedJson(value, summaryLimit) !== undefined) {
		return {[name]: value};
	}

	const text = typeof value === 'string' ? value : boundedJson(value, Number.POSITIVE_INFINITY) ?? `[a value nested deeper than ${maxJsonDepth} levels]`;
	return {[`${name}Preview`]: text.length > previewLimit ? `${text.slice(0, previewLimit - 1)}…` : text};
};

// Symbol.for, so that a KnoudsError from a second copy of this package is still recognised.
const brand = Symbol.for('knouds-retry.KnoudsError');

/**
What a `KnoudsError` is made from, besides the response.
*/
export type KnoudsErrorInit = {
	/**
	The error body: a string is parsed as JSON where it can be; any other value is taken as already parsed.
	*/
	readonly body?: unknown;
	/**
	The request that failed. Only a redacted copy (no body, credentials replaced) is kept.
	*/
	readonly request?: Request;
	/**
	How many requests the call sent.
	@default 1
	*/
	readonly attempts?: number;
	/** The wait the server asked for with `Retry-After`, in milliseconds. */
	readonly retryAfterMs?: number | undefined;
	/** Why retrying stopped, when it was the retry loop that gave up. */
	readonly stopReason?: StopReason | undefined;
	/** Whether the body was cut at the read limit. */
	readonly truncated?: boolean;
	/** ky's normalised options; kept with credentials redacted. */
	readonly options?: Readonly<NormalizedOptions>;
	/**
	What ky made of the body for `HTTPError#data`, when ky read it: `data` is then exactly ky's.
	@default the parsed body
	*/
	readonly data?: unknown;
};

const toErrorBody = (init: KnoudsErrorInit): ErrorBody => typeof init.body === 'string' ? parseErrorBody(init.body, init.truncated) : errorBodyFromValue(init.body, init.truncated);

// ky's options as the caller gave them (their context and body are the caller's own), with every
// credential the call carried redacted, in its headers and URLs and wherever context or body repeat it.
const safeOptions = (options: Readonly<NormalizedOptions> | undefined, request: Request, original: Request | undefined): Readonly<NormalizedOptions> => {
	const safe: Record<string, unknown> = {
		...redactOptionUrls(options ?? {}),
		method: request.method,
		// The request copy is already redacted; ky's own options carry the original headers.
		headers: options === undefined ? new Headers(request.headers) : redactHeaders(options.headers),
	};
	if (options === undefined) {
		// As ky's options have it when nothing was given.
		safe['context'] = {};
	} else {
		const secrets = secretsOfCall(original, options);
		safe['context'] = redactValues(options.context, secrets);
		safe['body'] = redactValues(options.body, secrets);
	}

	return Object.freeze(safe) as unknown as Readonly<NormalizedOptions>;
};

/**
A failed Knouds API call: the API's answer, what to do about it, and how the retry loop ended.

It extends ky's `HTTPError` (and keeps its `name`), so `isHTTPError(error)` and existing `catch`
blocks keep working. Credentials never appear in it: `request` and `options` are redacted copies,
hidden from `JSON.stringify` and `util.inspect`.

@example
```
import {isKnoudsError} from 'knouds-retry';

try {
	await api.post('v1/models/flux/run', {json: {inputs}}).json();
} catch (error) {
	if (isKnoudsError(error, 'CAPABILITY_DENIED')) {
		console.error(`This key lacks ${error.required ?? 'a capability this endpoint needs'}`);
	}
}
```
*/
export class KnoudsError extends HTTPError {
	/** The HTTP status. */
	readonly status: number;
	/** The Knouds code, exactly as sent; `undefined` when the API sent none (the codeless 401 and 404, a proxy's page). */
	readonly code: string | undefined;
	/** Whether the failure is transient by nature: the same call can succeed later. Independent of the policy that ran. */
	readonly retryable: boolean;
	/** How many requests the call sent, retries included. */
	readonly attempts: number;
	/** The wait the server asked for with `Retry-After`, in milliseconds, when it sent one. */
	readonly retryAfterMs: number | undefined;
	/** Why the retry loop stopped; see `StopReason`. */
	readonly stopReason: StopReason | undefined;
	/** The parsed JSON body, or the raw text when it was not JSON (cut at 1 MiB), or `undefined` when empty. */
	readonly body: unknown;
	/** The API's own `error` text, when it sent one. */
	readonly apiMessage: string | undefined;
	/** CAPABILITY_DENIED: the capability the endpoint needs. */
	readonly required: string | undefined;
	/** CAPABILITY_ABOVE_CEILING: the capability or capabilities asked for. */
	readonly attempted: string | readonly string[] | undefined;
	/** PROVIDER_SUBMIT_FAILED: the upstream provider's HTTP status. */
	readonly providerStatus: number | undefined;
	/** PROVIDER_SUBMIT_FAILED: the upstream provider's answer. */
	readonly providerBody: unknown;

	constructor(response: Response, init: KnoudsErrorInit = {}) {
		const request = redactRequest(init.request?.url ?? (response.url || 'http://invalid.invalid/'), init.request?.method ?? 'GET', init.request?.headers);
		const options = safeOptions(init.options, request, init.request);
		super(response, request, options);
		redactResponseUrl(response);
		const parsed = toErrorBody(init);
		hideProperty(this, 'request', request);
		hideProperty(this, 'options', options);
		this.status = response.status;
		this.code = parsed.code;
		this.apiMessage = parsed.apiMessage;
		this.body = parsed.body;
		// ky's own reading of the body when ky read it (its parseJson, charset, size and time limits), as an
		// HTTPError of the same response would have; else the body as read here.
		this.data = Object.hasOwn(init, 'data') ? init.data : parsed.body;
		this.required = parsed.context.required;
		this.attempted = parsed.context.attempted;
		this.providerStatus = parsed.context.providerStatus;
		this.providerBody = parsed.context.providerBody;
		this.retryable = isTransient(this.status, this.code, this.providerStatus);
		this.attempts = init.attempts ?? 1;
		this.retryAfterMs = init.retryAfterMs;
		this.stopReason = init.stopReason;
		this.message = messageFor({...parsed, kyMessage: this.message, status: this.status, attempts: this.attempts, retryAfterMs: this.retryAfterMs, stopReason: this.stopReason});
		// The stack was captured with ky's message alone; capture it again so it leads with the whole one.
		Error.captureStackTrace(this, KnoudsError);
	}

	/** @internal */
	get [brand](): true {
		return true;
	}

	/**
	A plain, credential-free summary for logs and `JSON.stringify`, small whatever the body: `body` and
	`providerBody` appear as they are when their JSON fits in 2,048 characters; a larger or deeper one
	appears as `bodyPreview` or `providerBodyPreview`, a string of at most 500 characters.
	*/
	toJSON(): Record<string, unknown> {
		return {
			name: 'KnoudsError',
			message: this.message,
			status: this.status,
			code: this.code,
			retryable: this.retryable,
			attempts: this.attempts,
			retryAfterMs: this.retryAfterMs,
			stopReason: this.stopReason,
			required: this.required,
			attempted: this.attempted,
			providerStatus: this.providerStatus,
			...summarised('providerBody', this.providerBody),
			...summarised('body', this.body),
		};
	}
}

/**
A `KnoudsError` narrowed to one code. Its context fields (`required`, `attempted`, `providerStatus`)
stay possibly `undefined`: the API documents them, but a body that omits one is still that code.
*/
export type KnoudsErrorOf<C extends KnoudsCode> = KnoudsError & {readonly code: C};

/**
Whether a value is a `KnoudsError`; with a code, whether it is one with exactly that code, whatever
context fields its body carried. Works across two copies of this package.

@example
```
if (isKnoudsError(error, 'grant_exhausted')) {
	showUpgradeDialog();
} else if (isKnoudsError(error, 'INSUFFICIENT_CREDITS')) {
	showTopUpDialog();
}
```
*/
export function isKnoudsError(error: unknown): error is KnoudsError;
export function isKnoudsError<C extends KnoudsCode>(error: unknown, code: C): error is KnoudsErrorOf<C>;
export function isKnoudsError(error: unknown, code?: KnoudsCode): boolean {
	if (typeof error !== 'object' || error === null || (error as Record<symbol, unknown>)[brand] !== true) {
		return false;
	}

	return code === undefined || (error as KnoudsError).code === code;
}
