import ky from 'ky';
import {describe, expect, it} from 'vitest';
import {isKnoudsError, knoudsRetry} from '../../src/index.js';
import {api, arrivals, knoudsBody, origin} from '../support/http.js';
import {knoudsErrorOf, surfaces} from '../support/surfaces.js';

// A shouldRetry that returns `undefined` has no opinion: only `true` overrides what would stop a retry.
const failed = knoudsBody('EXECUTION_FAILED', 'Execution failed');
const abstains = {random: () => 0, shouldRetry: () => undefined} as const;

describe.each(surfaces)('$name', surface => {
	it('stops at an empty retry budget when shouldRetry returns undefined, as it would without shouldRetry', async () => {
		const seen = arrivals();
		api().get('/run').reply(seen.reply(500, failed)).get('/run').reply(seen.reply(200, {}));
		const error = knoudsErrorOf(await surface.run({path: '/run'}, {...abstains, retryBudget: {burst: 0}}));
		expect(error).toMatchObject({code: 'EXECUTION_FAILED', stopReason: 'retry-budget', attempts: 1});
		expect(seen.times).toHaveLength(1);
	});
});

describe('knoudsRetry(ky) with retry: 0', () => {
	it('sends nothing more when shouldRetry returns undefined: the caller asked ky for no retries', async () => {
		let sent = 0;
		const fetch = async (): Promise<Response> => ++sent < 2 ? Response.json(failed, {status: 500}) : Response.json({});
		const error: unknown = await knoudsRetry(ky.create({fetch, retry: 0}), abstains).get(`${origin}/run`).catch((error_: unknown) => error_);
		expect(isKnoudsError(error, 'EXECUTION_FAILED')).toBe(true);
		expect(error).toMatchObject({stopReason: 'retries-exhausted', attempts: 1});
		expect(sent).toBe(1);
	});
});
