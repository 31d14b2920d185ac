/**
One documented Knouds API error code.
*/
export type KnoudsCatalogEntry = {
	/** The HTTP status the API sends this code with. */
	readonly status: number;
	/** What the code means, in the API documentation's words. */
	readonly meaning: string;
	/** What a client has to do about it. Used in `KnoudsError` messages. */
	readonly action: string;
	/**
	Whether the failure is transient by nature (the default class): the same call can succeed later.
	`PROVIDER_SUBMIT_FAILED` is transient only when its `providerStatus` is 5xx or 429.
	*/
	readonly retryable: boolean;
	/** Names of the context fields the body carries besides `error` and `code`. */
	readonly context: readonly string[];
};

const entry = (status: number, meaning: string, action: string, retryable: boolean, context: readonly string[] = []): KnoudsCatalogEntry =>
	Object.freeze({status, meaning, action, retryable, context: Object.freeze([...context])});

/**
Every error code the Knouds API documents, keyed by code. Codes are case-sensitive: `grant_exhausted` is lower-case.

@example
```
import {knoudsErrorCatalog} from 'knouds-retry';

knoudsErrorCatalog.grant_exhausted.action;
//=> 'Upgrade the plan tier: the trial grant for this model is used up, and buying credits does not restore it.'
```
*/
export const knoudsErrorCatalog = Object.freeze({
	INVALID_INPUTS: entry(400, 'The body is malformed or misses required fields; `inputs` must be a non-array object.', 'Fix the request body: send every required field, with `inputs` as a non-array object.', false),
	INVALID_SLUG: entry(400, 'The workflow slug or model internalName in the URL has invalid characters (lowercase letters, digits and hyphens only).', 'Fix the workflow slug or model internalName in the URL: use only lowercase letters, digits and hyphens.', false),
	INVALID_BODY: entry(400, 'The body is not valid JSON or misses required fields.', 'Send a valid JSON body with every required field.', false),
	INVALID_CAPABILITY: entry(400, 'A capability string given at key creation is malformed (unknown verb or bad slug pattern).', 'Fix the capability string given at key creation: use a known verb and a valid slug pattern.', false),
	ASYNC_NOT_SUPPORTED: entry(400, '`?async=true` was used on an endpoint whose provider has no polling-based async mode.', 'Use sync mode: drop `?async=true`.', false),
	LEGACY_KEY_RETIRED: entry(401, 'The API key was created before May 2026 and is retired.', 'Regenerate the API key in the Developer Dashboard.', false),
	INSUFFICIENT_CREDITS: entry(402, 'The credit balance is too low.', 'Top up credits.', false),
	grant_exhausted: entry(402, 'The tier\'s trial grant for this model is used up.', 'Upgrade the plan tier: the trial grant for this model is used up, and buying credits does not restore it.', false),
	CAPABILITY_DENIED: entry(403, 'The key\'s capabilities do not cover this endpoint.', 'Regenerate the API key with the capability named in `required`, or upgrade the plan.', false, ['required']),
	CAPABILITY_ABOVE_CEILING: entry(403, 'At key creation, a capability above the tier was requested.', 'Ask for fewer capabilities (see `attempted`), or upgrade the plan.', false, ['attempted']),
	API_KEY_ACCESS_DENIED: entry(403, 'The free tier may not create API keys.', 'Upgrade to Pro to create API keys.', false),
	MODEL_TIER_REQUIRED: entry(403, 'The model needs a higher plan tier.', 'Upgrade to a plan tier that includes this model.', false),
	WORKFLOW_CAP_REACHED: entry(403, 'The free plan\'s workflow cap is reached.', 'Upgrade the plan, or delete a workflow.', false),
	MODEL_NOT_FOUND: entry(404, 'The internalName in the URL matches no enabled model.', 'Fix the model internalName in the URL: it matches no enabled model.', false),
	EXECUTION_NOT_FOUND: entry(404, 'The execution id is not one of yours.', 'Fix the execution id: it is not one of yours.', false),
	RATE_LIMIT_EXCEEDED: entry(429, 'The tier\'s per-minute request limit is exceeded.', 'Wait as long as `Retry-After` says, then retry.', true),
	EXECUTION_FAILED: entry(500, 'A provider call failed.', 'Retry with exponential backoff.', true),
	PROVIDER_SUBMIT_FAILED: entry(500, 'An async submit hit an upstream error, reported synchronously.', 'Retry if `providerStatus` is 5xx or 429; otherwise fix what the provider rejected (see `providerBody`).', true, ['providerStatus', 'providerBody']),
	PROVIDER_RESPONSE_INCOMPLETE: entry(500, 'Polling finished but the provider\'s output lacked the expected result. Rare and transient; no credits were charged.', 'Retry; no credits were charged for the failed attempt.', true),
} satisfies Record<string, KnoudsCatalogEntry>);

/**
A code the Knouds API documents.
*/
export type KnoudsCode = keyof typeof knoudsErrorCatalog;

/**
Failures that carry no Knouds code but still get a policy: `NETWORK_ERROR` (fetch threw), `TIMEOUT` (an attempt timed out) and `SERVER_ERROR` (a 5xx without a Knouds code, such as a proxy's HTML 502).
*/
export type TransportCode = 'NETWORK_ERROR' | 'TIMEOUT' | 'SERVER_ERROR';

/**
Every key a retry policy can be set for.
*/
export type PolicyKey = KnoudsCode | TransportCode;

/** All documented codes, in catalogue order. */
export const knoudsCodes = Object.freeze(Object.keys(knoudsErrorCatalog)) as readonly KnoudsCode[];

/** All policy keys: the documented codes, then the transport codes. */
export const policyKeys: readonly PolicyKey[] = Object.freeze([...knoudsCodes, 'NETWORK_ERROR', 'TIMEOUT', 'SERVER_ERROR'] as const);

/** Whether a string is a documented code. Case-sensitive, like the API. */
export const isKnoudsCode = (value: unknown): value is KnoudsCode =>
	typeof value === 'string' && Object.hasOwn(knoudsErrorCatalog, value);

/** Actions for the two documented errors that carry no code. */
export const codelessActions: Readonly<Record<number, string>> = Object.freeze({
	401: 'Check the `x-api-key` header: the key is missing, revoked or invalid.',
	404: 'No route or resource at this URL: check the base URL and path; for a workflow, no workflow you own has that slug.',
});
