import {describe, expect, it} from 'vitest';
import type {KnoudsErrorContext} from '../src/error-body.js';
import {actionFor, messageFor} from '../src/errors/message.js';

const facts = (status: number, code?: string, context: KnoudsErrorContext = {}, apiMessage = 'failed') =>
	({status, code, apiMessage, body: {error: apiMessage, code, ...context} as unknown, context});

/** A codeless failure whose body carried no usable message. */
const bare = (status: number, body: unknown) => ({status, code: undefined, apiMessage: undefined, body, context: {}});

const message = (overrides: Partial<Parameters<typeof messageFor>[0]> = {}): string => messageFor({
	...facts(500, 'EXECUTION_FAILED', {}, 'Provider call failed'),
	kyMessage: 'Request failed with status code 500 Internal Server Error: POST https://api.knouds.test/v1/models/flux/run',
	attempts: 1,
	retryAfterMs: undefined,
	stopReason: undefined,
	...overrides,
});

describe('actionFor', () => {
	it('tells INSUFFICIENT_CREDITS to top up and grant_exhausted to upgrade the tier', () => {
		const credits = actionFor(facts(402, 'INSUFFICIENT_CREDITS'));
		const grant = actionFor(facts(402, 'grant_exhausted'));
		expect(credits).toMatch(/top up/i);
		expect(credits).not.toMatch(/upgrade/i);
		expect(grant).toMatch(/upgrade the plan tier/i);
		expect(grant).not.toMatch(/top up/i);
		expect(grant).toMatch(/buying credits does not restore it/);
	});

	it('names the capability a CAPABILITY_DENIED key is missing', () => {
		expect(actionFor(facts(403, 'CAPABILITY_DENIED', {required: 'model:run'})))
			.toBe('Regenerate the API key with the "model:run" capability, or upgrade the plan.');
	});

	it('falls back to the catalogue action when CAPABILITY_DENIED has no required field', () => {
		expect(actionFor(facts(403, 'CAPABILITY_DENIED'))).toMatch(/capability named in `required`/);
	});

	it('clips an absurdly long required capability', () => {
		const action = actionFor(facts(403, 'CAPABILITY_DENIED', {required: 'x'.repeat(500)}));
		expect(action).toContain(`"${'x'.repeat(80)}…"`);
		expect(action.length).toBeLessThan(200);
	});

	it('says whether a PROVIDER_SUBMIT_FAILED can succeed later from its providerStatus', () => {
		expect(actionFor(facts(500, 'PROVIDER_SUBMIT_FAILED', {providerStatus: 503}))).toMatch(/answered 503; retrying later can succeed/);
		expect(actionFor(facts(500, 'PROVIDER_SUBMIT_FAILED', {providerStatus: 429}))).toMatch(/retrying later can succeed/);
		expect(actionFor(facts(500, 'PROVIDER_SUBMIT_FAILED', {providerStatus: 400}))).toMatch(/rejected the submission with 400; fix what it rejected/);
	});

	it('points at the body for a code the catalogue does not know', () => {
		expect(actionFor(facts(400, 'BRAND_NEW'))).toBe('`BRAND_NEW` is not a documented Knouds code; see `body`.');
	});

	it('gives the documented actions for the codeless 401 and 404', () => {
		expect(actionFor(facts(401))).toMatch(/`x-api-key`/);
		expect(actionFor(facts(404))).toMatch(/check the base URL and path; for a workflow, no workflow you own has that slug/);
	});

	it('explains codeless failures by status', () => {
		expect(actionFor(facts(429))).toMatch(/gateway.*`Retry-After`/);
		expect(actionFor(facts(502))).toMatch(/proxy in front of it failed; retrying later can succeed/);
		expect(actionFor(facts(418))).toMatch(/without a documented code; see `body`/);
	});
});

describe('messageFor', () => {
	it('keeps ky\'s message first, then names the code, the API message and the action', () => {
		expect(message()).toBe('Request failed with status code 500 Internal Server Error: POST https://api.knouds.test/v1/models/flux/run — Knouds EXECUTION_FAILED: Provider call failed. Retry with exponential backoff.');
	});

	it('says when a failure carries no Knouds code', () => {
		expect(message(bare(502, '<html>Bad Gateway</html>')))
			.toMatch(/^Request failed with status code 500 Internal Server Error: POST \S+ — No Knouds code: the body is not a Knouds error \(not JSON\)\./);
	});

	it('says when the body was empty or not a Knouds error object', () => {
		expect(message(bare(503, undefined))).toContain(': empty body. ');
		expect(message(bare(500, [1, 2]))).toContain(': the body is not a Knouds error object. ');
	});

	it('clips a long API message', () => {
		expect(message({apiMessage: 'y'.repeat(1000)})).toContain(`${'y'.repeat(300)}…. `);
	});

	it('gives the two 402s different messages', () => {
		const credits = message(facts(402, 'INSUFFICIENT_CREDITS'));
		const grant = message(facts(402, 'grant_exhausted'));
		expect(credits).toContain('Knouds INSUFFICIENT_CREDITS: ');
		expect(credits).toMatch(/Top up credits\.$/);
		expect(grant).toContain('Knouds grant_exhausted: ');
		expect(grant).toMatch(/Upgrade the plan tier/);
	});

	it('names the required capability in a CAPABILITY_DENIED message', () => {
		expect(message(facts(403, 'CAPABILITY_DENIED', {required: 'workflow:run'}, 'Insufficient capability'))).toContain('"workflow:run"');
	});

	it('explains why retrying stopped', () => {
		expect(message({stopReason: 'retries-exhausted', attempts: 4})).toMatch(/ Gave up after 4 attempts\.$/);
		expect(message({stopReason: 'total-timeout', attempts: 2})).toMatch(/ Stopped after 2 attempts: the next wait would cross the total timeout\.$/);
		expect(message({stopReason: 'should-retry'})).toMatch(/ Not retried: `shouldRetry` returned false\.$/);
	});

	it('tells the caller to requeue when the server asked for too long a wait', () => {
		const text = message({...facts(429, 'RATE_LIMIT_EXCEEDED'), stopReason: 'retry-after-too-long', retryAfterMs: 90_000});
		expect(text).toMatch(/the server asked to wait 90 s, longer than `maxRetryAfter` allows; requeue the call for later\.$/);
	});

	it('adds nothing for a terminal or non-idempotent stop', () => {
		expect(message({stopReason: 'terminal'})).toBe(message());
		expect(message({stopReason: 'not-idempotent'})).toBe(message());
	});
});
