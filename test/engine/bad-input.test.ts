import {describe, expect, it, vi} from 'vitest';
import {api, knoudsBody} from '../support/http.js';
import {until, useFakeClock} from '../support/clock.js';
import {knoudsErrorOf, surfaces, type Outcome} from '../support/surfaces.js';
import type {RetryEvent} from '../../src/index.js';

const megabytes = JSON.stringify({error: 'x'.repeat(3 * 1024 * 1024), code: 'EXECUTION_FAILED'});

const bodies: Array<[string, number, string, Record<string, string>]> = [
	['an HTML 503 page', 503, '<!doctype html><title>503</title>', {'content-type': 'text/html'}],
	['an empty 500', 500, '', {}],
	['truncated JSON', 500, '{"error": "provider failed", "co', {'content-type': 'application/json'}],
	['a JSON array', 400, '[1, 2, 3]', {'content-type': 'application/json'}],
	['a JSON string', 400, '"just a string"', {'content-type': 'application/json'}],
	['a numeric code', 400, '{"error": "odd", "code": 42}', {'content-type': 'application/json'}],
	['an unknown 4xx code', 409, '{"error": "conflict", "code": "BRAND_NEW_CODE"}', {'content-type': 'application/json'}],
	['an unknown 5xx code', 500, '{"error": "hmm", "code": "BRAND_NEW_CODE"}', {'content-type': 'application/json'}],
	['a body of several megabytes', 500, megabytes, {'content-type': 'application/json'}],
	['JSON labelled as HTML', 500, '{"error": "mislabelled", "code": "EXECUTION_FAILED"}', {'content-type': 'text/html'}],
];

describe.each(surfaces)('$name', surface => {
	it.each(bodies)('ends a call answered with %s in one KnoudsError with its status and a readable message', async (_name, status, body, headers) => {
		api().post('/run').times(10).reply(status, body, headers);
		const outcome = await surface.run({path: '/run', method: 'POST'}, {random: () => 0});
		const error = knoudsErrorOf(outcome);
		expect(error.status).toBe(status);
		expect(error.message).toMatch(new RegExp(`^Request failed with status code ${status}\\b.* — (Knouds \\w+|No Knouds code): `));
		expect(error.message.length).toBeLessThan(1000);
		expect(typeof error.retryable).toBe('boolean');
	});

	it('reads the code out of JSON even when a proxy labels it as HTML', async () => {
		api().post('/run').reply(500, '{"error": "mislabelled", "code": "INSUFFICIENT_CREDITS"}', {'content-type': 'text/html'});
		const error = knoudsErrorOf(await surface.run({path: '/run', method: 'POST'}));
		expect(error.code).toBe('INSUFFICIENT_CREDITS');
	});

	it.each([
		['negative', '-5', 'backoff'],
		['fractional', '0.5', 'retry-after'],
		['a past date', 'Sun, 06 Nov 1994 08:49:37 GMT', 'retry-after'],
		['garbage', 'tomorrow-ish', 'backoff'],
		['empty', '', 'backoff'],
	])('ends a call whose Retry-After is %s in exactly one outcome', async (_name, retryAfter, source) => {
		useFakeClock();
		api().get('/run').reply(429, knoudsBody('RATE_LIMIT_EXCEEDED'), {'retry-after': retryAfter}).get('/run').reply(200, {ok: true});
		const events: RetryEvent[] = [];
		let outcome: Outcome | undefined;
		void surface.run({path: '/run'}, {random: () => 0.5, onRetry: event => events.push(event)}).then(result => (outcome = result));
		await until(() => events.length === 1);
		expect(events[0]?.source).toBe(source);
		await vi.advanceTimersByTimeAsync(events[0]!.delay);
		await until(() => outcome !== undefined);
		expect(outcome).toEqual({kind: 'ok', status: 200, body: {ok: true}});
	});

	it('ends a codeless 401 whose body nests arrays 5,000 deep in a KnoudsError that logs without throwing', async () => {
		const deep = `${'['.repeat(5000)}${']'.repeat(5000)}`;
		api().get('/run').reply(401, deep, {'content-type': 'application/json'});
		const client = surface.create();
		const error = knoudsErrorOf(await client({path: '/run'}));
		expect(error.status).toBe(401);
		const logged = JSON.parse(JSON.stringify(error)) as Record<string, unknown>;
		expect(logged).toMatchObject({status: 401, bodyPreview: '[a value nested deeper than 64 levels]'});
		expect(logged).not.toHaveProperty('body');
		// The latch was set all the same, without the body: the next call fails at once with the same status.
		const latched = knoudsErrorOf(await client({path: '/run'}));
		expect(latched).toMatchObject({status: 401, stopReason: 'latched', attempts: 0, body: undefined});
	});
});

describe('KnoudsError#toJSON()', () => {
	it.each(surfaces)('keeps a 200 KB HTML 502 page out of the summary on $name, with a short preview instead', async surface => {
		const page = `<!doctype html><title>502</title>${'<p>Bad gateway</p>'.repeat(11_000)}`;
		api().get('/run').times(4).reply(502, page, {'content-type': 'text/html'});
		const error = knoudsErrorOf(await surface.run({path: '/run'}, {random: () => 0}));
		expect(error.body).toBe(page);
		const text = JSON.stringify(error);
		expect(text.length).toBeLessThan(2000);
		const logged = JSON.parse(text) as Record<string, unknown>;
		expect(logged).not.toHaveProperty('body');
		expect(logged['bodyPreview']).toBe(`${page.slice(0, 499)}…`);
	});

	it.each(surfaces)('keeps a small Knouds body whole in the summary on $name', async surface => {
		api().get('/run').reply(403, knoudsBody('CAPABILITY_DENIED', 'denied', {required: 'model:run'}));
		const logged = JSON.parse(JSON.stringify(knoudsErrorOf(await surface.run({path: '/run'})))) as Record<string, unknown>;
		expect(logged['body']).toEqual({error: 'denied', code: 'CAPABILITY_DENIED', required: 'model:run'});
		expect(logged).not.toHaveProperty('bodyPreview');
	});
});
