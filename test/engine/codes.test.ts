import {describe, expect, it} from 'vitest';
import {knoudsErrorCatalog, type KnoudsCode} from '../../src/index.js';
import {api, arrivals, knoudsBody} from '../support/http.js';
import {knoudsErrorOf, surfaces} from '../support/surfaces.js';

const terminalCodes = (Object.keys(knoudsErrorCatalog) as KnoudsCode[]).filter(code => !knoudsErrorCatalog[code].retryable);
const noWait = {random: () => 0};

describe.each(surfaces)('$name', surface => {
	it.each(terminalCodes)('sends exactly one request for the terminal code %s and surfaces it typed', async code => {
		const seen = arrivals();
		const {status} = knoudsErrorCatalog[code];
		api().post('/run').times(3).reply(seen.reply(status, knoudsBody(code, 'nope', {required: 'model:run', attempted: 'workflow:write'})));
		const error = knoudsErrorOf(await surface.run({path: '/run', method: 'POST', json: {inputs: {}}}, noWait));
		expect(seen.times).toHaveLength(1);
		expect(error).toMatchObject({status, code, retryable: false, attempts: 1, stopReason: 'terminal'});
		expect(error.message).toContain(code);
	});

	it.each([
		[401, 'Check the `x-api-key` header'],
		[404, 'check the base URL and path'],
	])('treats the codeless %i as terminal and names the action', async (status, action) => {
		const seen = arrivals();
		api().get('/run').times(3).reply(seen.reply(status, {error: 'Not allowed'}));
		const error = knoudsErrorOf(await surface.run({path: '/run'}, noWait));
		expect(seen.times).toHaveLength(1);
		expect(error).toMatchObject({status, code: undefined, retryable: false});
		expect(error.message).toContain(action);
	});

	it('tells INSUFFICIENT_CREDITS (top up) apart from grant_exhausted (upgrade the tier)', async () => {
		api().post('/a').reply(402, knoudsBody('INSUFFICIENT_CREDITS', 'Insufficient credits')).post('/b').reply(402, knoudsBody('grant_exhausted', 'Grant exhausted'));
		const credits = knoudsErrorOf(await surface.run({path: '/a', method: 'POST'}));
		const grant = knoudsErrorOf(await surface.run({path: '/b', method: 'POST'}));
		expect(credits.code).toBe('INSUFFICIENT_CREDITS');
		expect(grant.code).toBe('grant_exhausted');
		expect(credits.message).toMatch(/top up credits/i);
		expect(grant.message).toMatch(/upgrade the plan tier/i);
		expect(grant.message).toMatch(/credits does not restore/i);
	});

	it('retries EXECUTION_FAILED on a POST and returns the success', async () => {
		const seen = arrivals();
		api().post('/run').reply(seen.reply(500, knoudsBody('EXECUTION_FAILED', 'provider timeout'))).post('/run').reply(seen.reply(200, {output: 42}));
		const outcome = await surface.run({path: '/run', method: 'POST', json: {inputs: {prompt: 'hi'}}}, noWait);
		expect(outcome).toEqual({kind: 'ok', status: 200, body: {output: 42}});
		expect(seen.times).toHaveLength(2);
	});

	it.each([
		['EXECUTION_FAILED', 4],
		['PROVIDER_RESPONSE_INCOMPLETE', 3],
	] as const)('gives up on %s after the default retries (%i attempts)', async (code, attempts) => {
		const seen = arrivals();
		api().post('/run').times(10).reply(seen.reply(500, knoudsBody(code)));
		const error = knoudsErrorOf(await surface.run({path: '/run', method: 'POST'}, noWait));
		expect(seen.times).toHaveLength(attempts);
		expect(error).toMatchObject({code, attempts, retryable: true, stopReason: 'retries-exhausted'});
		expect(error.message).toContain(`Gave up after ${attempts} attempts`);
	});

	it.each([
		[503, 4],
		[429, 4],
		[400, 1],
		[422, 1],
	])('retries PROVIDER_SUBMIT_FAILED by its providerStatus %i (%i attempts)', async (providerStatus, attempts) => {
		const seen = arrivals();
		api().post('/run').times(10).reply(seen.reply(500, knoudsBody('PROVIDER_SUBMIT_FAILED', 'upstream', {providerStatus, providerBody: {detail: 'x'}})));
		const error = knoudsErrorOf(await surface.run({path: '/run', method: 'POST'}, noWait));
		expect(seen.times).toHaveLength(attempts);
		expect(error).toMatchObject({code: 'PROVIDER_SUBMIT_FAILED', providerStatus, providerBody: {detail: 'x'}, retryable: attempts > 1});
	});

	it('retries a proxy\'s HTML 502 as SERVER_ERROR and keeps the page as the body', async () => {
		const seen = arrivals();
		api().get('/run').times(10).reply(() => {
			seen.times.push(Date.now());
			return [502, '<html><body>Bad gateway</body></html>', {'content-type': 'text/html'}];
		});
		const error = knoudsErrorOf(await surface.run({path: '/run'}, noWait));
		expect(seen.times).toHaveLength(4);
		expect(error).toMatchObject({status: 502, code: undefined, retryable: true, body: '<html><body>Bad gateway</body></html>'});
		expect(error.message).toMatch(/^Request failed with status code 502\b.* — No Knouds code: /);
	});

	it('lets a per-code policy change the number of retries and turn a code off', async () => {
		const seen = arrivals();
		api().post('/a').times(10).reply(seen.reply(500, knoudsBody('EXECUTION_FAILED')));
		await surface.run({path: '/a', method: 'POST'}, {...noWait, policy: {EXECUTION_FAILED: 1}});
		expect(seen.times).toHaveLength(2);
		const off = arrivals();
		api().post('/b').times(10).reply(off.reply(500, knoudsBody('PROVIDER_RESPONSE_INCOMPLETE')));
		const error = knoudsErrorOf(await surface.run({path: '/b', method: 'POST'}, {policy: {PROVIDER_RESPONSE_INCOMPLETE: false}}));
		expect(off.times).toHaveLength(1);
		expect(error.stopReason).toBe('terminal');
	});
});
