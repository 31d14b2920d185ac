import {describe, expect, it} from 'vitest';
import {isKnoudsError, type RetryEvent, type ShouldRetryContext} from '../../src/index.js';
import {api, arrivals, knoudsBody, origin} from '../support/http.js';
import {knoudsErrorOf, surfaces} from '../support/surfaces.js';

describe.each(surfaces)('$name', surface => {
	it('calls onRetry before each wait with a frozen event describing the failed attempt', async () => {
		api().post('/run').reply(500, knoudsBody('EXECUTION_FAILED')).post('/run').reply(429, knoudsBody('RATE_LIMIT_EXCEEDED'), {'retry-after': '0'}).post('/run').reply(200, {});
		const events: RetryEvent[] = [];
		await surface.run({path: '/run', method: 'POST'}, {random: () => 0, onRetry: event => events.push(event)});
		expect(events).toMatchObject([
			{attempt: 1, code: 'EXECUTION_FAILED', status: 500, source: 'backoff', delay: 0, method: 'POST', url: `${origin}/run`},
			{attempt: 2, code: 'RATE_LIMIT_EXCEEDED', status: 429, source: 'retry-after', delay: 0},
		]);
		expect(events.every(event => Object.isFrozen(event) && isKnoudsError(event.error))).toBe(true);
	});

	it('lets shouldRetry force a retry of a terminal code', async () => {
		const seen = arrivals();
		api().get('/run').reply(seen.reply(404, knoudsBody('EXECUTION_NOT_FOUND'))).get('/run').reply(seen.reply(200, {found: true}));
		const contexts: ShouldRetryContext[] = [];
		const outcome = await surface.run({path: '/run'}, {random: () => 0, shouldRetry(context) {
			contexts.push(context);
			return context.code === 'EXECUTION_NOT_FOUND' && context.attempt === 1 ? true : undefined;
		}});
		expect(outcome).toEqual({kind: 'ok', status: 200, body: {found: true}});
		expect(contexts[0]?.decision).toEqual({retry: false, reason: 'terminal', key: 'EXECUTION_NOT_FOUND'});
	});

	it('lets shouldRetry stop a retryable failure', async () => {
		const seen = arrivals();
		api().get('/run').times(3).reply(seen.reply(500, knoudsBody('EXECUTION_FAILED')));
		const error = knoudsErrorOf(await surface.run({path: '/run'}, {shouldRetry: () => false}));
		expect(seen.times).toHaveLength(1);
		expect(error.stopReason).toBe('should-retry');
	});

	it('leaves the decision to the policy when shouldRetry returns undefined', async () => {
		const seen = arrivals();
		api().get('/run').times(10).reply(seen.reply(500, knoudsBody('PROVIDER_RESPONSE_INCOMPLETE')));
		await surface.run({path: '/run'}, {random: () => 0, shouldRetry: async () => undefined});
		expect(seen.times).toHaveLength(3);
	});
});
