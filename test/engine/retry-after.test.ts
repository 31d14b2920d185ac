import {describe, expect, it, vi} from 'vitest';
import {api, arrivals, knoudsBody} from '../support/http.js';
import {surfaces, type Outcome} from '../support/surfaces.js';
import {until, useFakeClock} from '../support/clock.js';
import type {RetryEvent} from '../../src/index.js';

describe.each(surfaces)('$name', surface => {
	const rateLimitedThenOk = (retryAfter: string) => {
		const seen = arrivals();
		api().get('/run')
			.reply(seen.reply(429, knoudsBody('RATE_LIMIT_EXCEEDED', 'Too many requests'), {'retry-after': retryAfter}))
			.get('/run')
			.reply(seen.reply(200, {output: 'done'}));
		return seen;
	};

	it('sends nothing before a delta-seconds Retry-After has passed, then retries', async () => {
		useFakeClock();
		const seen = rateLimitedThenOk('2');
		const events: RetryEvent[] = [];
		let outcome: Outcome | undefined;
		void surface.run({path: '/run'}, {onRetry: event => events.push(event)}).then(result => (outcome = result));
		await until(() => events.length === 1);
		await vi.advanceTimersByTimeAsync(1999);
		expect(seen.times).toHaveLength(1);
		await vi.advanceTimersByTimeAsync(1);
		await until(() => outcome !== undefined);
		expect(outcome).toEqual({kind: 'ok', status: 200, body: {output: 'done'}});
		expect(seen.times[1]! - seen.times[0]!).toBe(2000);
	});

	it('adds no jitter to a server-given wait, even when backoff jitter would', async () => {
		useFakeClock();
		rateLimitedThenOk('3');
		const events: RetryEvent[] = [];
		const done = surface.run({path: '/run'}, {onRetry: event => events.push(event), random: () => 0.37});
		await until(() => events.length === 1);
		expect(events[0]).toMatchObject({attempt: 1, delay: 3000, source: 'retry-after', code: 'RATE_LIMIT_EXCEEDED', status: 429});
		await vi.advanceTimersByTimeAsync(3000);
		expect((await done).kind).toBe('ok');
	});

	it('waits until an HTTP-date Retry-After, measured against the response Date', async () => {
		useFakeClock();
		const now = Date.now();
		const serverNow = new Date(Math.floor(now / 1000) * 1000 - 60_000); // The server's clock runs a minute behind ours.
		const seen = arrivals();
		api().get('/run')
			.reply(seen.reply(429, knoudsBody('RATE_LIMIT_EXCEEDED'), {'retry-after': new Date(serverNow.getTime() + 5000).toUTCString(), date: serverNow.toUTCString()}))
			.get('/run')
			.reply(seen.reply(200, {}));
		const events: RetryEvent[] = [];
		const done = surface.run({path: '/run'}, {onRetry: event => events.push(event)});
		await until(() => events.length === 1);
		// Against our own clock the date is long past; against the server's, it is 5 s away.
		expect(events[0]).toMatchObject({delay: 5000, source: 'retry-after'});
		await vi.advanceTimersByTimeAsync(4999);
		expect(seen.times).toHaveLength(1);
		await vi.advanceTimersByTimeAsync(1);
		expect((await done).kind).toBe('ok');
	});

	it('fails at once, without sleeping, when Retry-After exceeds maxRetryAfter, and reports the wait', async () => {
		useFakeClock();
		const seen = arrivals();
		api().get('/run').reply(seen.reply(429, knoudsBody('RATE_LIMIT_EXCEEDED'), {'retry-after': '120'}));
		const outcome = await surface.run({path: '/run'}, {maxRetryAfter: 60_000});
		expect(seen.times).toHaveLength(1);
		expect(outcome).toMatchObject({kind: 'error', error: {status: 429, code: 'RATE_LIMIT_EXCEEDED', retryAfterMs: 120_000, stopReason: 'retry-after-too-long', attempts: 1}});
	});

	it('retries 5 times by default and then fails with every attempt counted', async () => {
		const seen = arrivals();
		api().get('/run').times(6).reply(seen.reply(429, knoudsBody('RATE_LIMIT_EXCEEDED'), {'retry-after': '0'}));
		const outcome = await surface.run({path: '/run'});
		expect(seen.times).toHaveLength(6);
		expect(outcome).toMatchObject({kind: 'error', error: {code: 'RATE_LIMIT_EXCEEDED', attempts: 6, stopReason: 'retries-exhausted', retryAfterMs: 0}});
	});

	it('falls back to backoff when a 429 has no usable Retry-After', async () => {
		api().get('/run').reply(429, knoudsBody('RATE_LIMIT_EXCEEDED'), {'retry-after': 'soon'}).get('/run').reply(200, {});
		const events: RetryEvent[] = [];
		const outcome = await surface.run({path: '/run'}, {random: () => 0, onRetry: event => events.push(event)});
		expect(outcome.kind).toBe('ok');
		expect(events).toMatchObject([{source: 'backoff', delay: 0}]);
	});
});
