import {describe, expect, it} from 'vitest';
import type {KnoudsErrorContext} from '../src/error-body.js';
import {actionFor, explain, messageFor} from '../src/errors/message.js';
import {redactError} from '../src/redact-error.js';

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

describe('what a context field changes', () => {
	it('gives a code its own action even when its body carries a `required` or `providerStatus` field', () => {
		expect(actionFor(facts(402, 'INSUFFICIENT_CREDITS', {required: 'model:run'}))).toBe('Top up credits.');
		expect(actionFor(facts(500, 'EXECUTION_FAILED', {providerStatus: 400}))).toBe('Retry with exponential backoff.');
	});

	it('shows an API message or a capability whole when it is exactly as long as the limit', () => {
		expect(message({apiMessage: 'y'.repeat(300)})).toContain(` ${'y'.repeat(300)}. `);
		expect(actionFor(facts(403, 'CAPABILITY_DENIED', {required: 'x'.repeat(80)}))).toContain(`"${'x'.repeat(80)}"`);
	});
});

describe('where 5xx begins', () => {
	it('counts a provider\'s 500 as a failure that can succeed later', () => {
		expect(actionFor(facts(500, 'PROVIDER_SUBMIT_FAILED', {providerStatus: 500}))).toBe('The provider answered 500; retrying later can succeed.');
		expect(actionFor(facts(500, 'PROVIDER_SUBMIT_FAILED', {providerStatus: 499}))).toMatch(/^The provider rejected the submission with 499; /);
	});

	it('tells the caller of a codeless 500 that retrying later can succeed', () => {
		expect(actionFor(bare(500, undefined))).toBe('The server or a proxy in front of it failed; retrying later can succeed.');
		expect(actionFor(bare(499, undefined))).toBe('The API rejected the request without a documented code; see `body`.');
	});
});

describe('why a call stopped at its total timeout', () => {
	it('says how many attempts were sent when the server\'s wait would cross the total timeout after some were', () => {
		expect(message({stopReason: 'total-timeout', attempts: 3, retryAfterMs: 30_000}))
			.toMatch(/ Stopped after 3 attempts: the next wait would cross the total timeout\.$/);
	});

	it('says that nothing was sent when an earlier response\'s wait already crossed it', () => {
		expect(message({stopReason: 'total-timeout', attempts: 0, retryAfterMs: 30_000}))
			.toMatch(/ No request sent: an earlier response asked this client to wait 30 s more, past the call's total timeout; /);
	});
});

describe('explain', () => {
	it('adds its text to the message, which stays out of the error\'s enumerable keys, so that a logger that serialises the error prints what it did before', () => {
		const error = new TypeError('fetch failed');
		explain(error, 'Not resent.');
		expect(error.message).toBe('fetch failed Not resent.');
		expect(Object.keys(error)).toEqual([]);
		expect(JSON.stringify(error)).toBe('{}');
	});

	it('leaves the message writable and open to a second explanation, as later layers may add theirs', () => {
		const error = new DOMException('The attempt timed out.', 'TimeoutError');
		explain(error, 'Not resent.');
		explain(error, 'Check the logs.');
		expect(error.message).toBe('The attempt timed out. Not resent. Check the logs.');
		const failed = new TypeError('fetch failed');
		explain(failed, 'Not resent.');
		failed.message = 'reworded';
		expect(failed.message).toBe('reworded');
	});

	it('leaves an explained error that quotes a key open to redaction in place, so that it stays the same error', () => {
		const error = new DOMException('The attempt to https://api.test/?token=kn_live_secret timed out.', 'TimeoutError');
		explain(error, 'Not resent.');
		expect(redactError(error, [])).toBe(error);
		expect(error.message).toBe('The attempt to https://api.test/?token=[REDACTED] timed out. Not resent.');
	});

	it('leaves a frozen error as it is, without throwing', () => {
		const error = Object.freeze(new TypeError('fetch failed'));
		explain(error, 'Not resent.');
		expect(error.message).toBe('fetch failed');
	});
});
