import {inspect} from 'node:util';
import {describe, expect, it} from 'vitest';
import {api, knoudsBody, secretKey} from '../support/http.js';
import {surfaces} from '../support/surfaces.js';
import type {RetryEvent, ShouldRetryContext} from '../../src/index.js';

const socketError = (code: string): Error => Object.assign(new Error(`socket failure ${code}`), {code});

/** Every way an error or event gets written down. */
const renderings = (value: unknown): string[] => {
	// JSON.stringify gives undefined for some values, whatever its declared type says.
	const json = JSON.stringify(value) as string | undefined;
	const renders = [inspect(value, {depth: 8}), inspect(value, {depth: 8, showHidden: true}), json ?? '', String(value)];
	if (value instanceof Error) {
		renders.push(value.stack ?? '', value.message);
	}

	return renders;
};

describe.each(surfaces)('$name', surface => {
	it('keeps the API key out of the KnoudsError however it is rendered', async () => {
		api().post('/run').reply(403, knoudsBody('CAPABILITY_DENIED', 'Insufficient capability', {required: 'model:run'}));
		const outcome = await surface.run({path: '/run', method: 'POST', json: {inputs: {}}});
		expect(outcome.kind).toBe('error');
		const {error} = outcome as {error: Error & {request: Request; options: {headers: Headers}}};
		for (const rendering of renderings(error)) {
			expect(rendering).not.toContain(secretKey);
		}

		// Code that reaches for the request still finds it, with the key redacted.
		expect(error.request.headers.get('x-api-key')).toBe('[REDACTED]');
		expect(error.options.headers.get('x-api-key')).toBe('[REDACTED]');
	});

	it('keeps the API key out of every onRetry event and shouldRetry context', async () => {
		api().get('/run').reply(500, knoudsBody('EXECUTION_FAILED')).get('/run').replyWithError(socketError('ECONNRESET')).get('/run').reply(200, {});
		const seen: Array<RetryEvent | ShouldRetryContext> = [];
		const outcome = await surface.run({path: '/run'}, {
			random: () => 0,
			onRetry(event) {
				seen.push(event);
			},
			shouldRetry(context) {
				seen.push(context);
				return undefined;
			},
		});
		expect(outcome.kind).toBe('ok');
		expect(seen).toHaveLength(4);
		for (const rendering of seen.flatMap(item => renderings(item))) {
			expect(rendering).not.toContain(secretKey);
		}
	});

	it('keeps the API key out of the error a call rejects with after network failures', async () => {
		api().get('/run').times(4).replyWithError(socketError('ECONNRESET'));
		const outcome = await surface.run({path: '/run'}, {random: () => 0});
		expect(outcome.kind).toBe('thrown');
		for (const rendering of renderings((outcome as {error: unknown}).error)) {
			expect(rendering).not.toContain(secretKey);
		}
	});
});
