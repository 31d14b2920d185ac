import fc from 'fast-check';
import {describe, expect, it} from 'vitest';
import {backoffDelay} from '../src/backoff.js';
import {decide, type DecideInput} from '../src/decide.js';
import {failedBeforeSend, isTransient, policyKeyOf, type Failure} from '../src/failure.js';
import {createKnoudsFetch, KnoudsError} from '../src/index.js';
import {resolvePolicy} from '../src/policy.js';
import {api, arrivals, knoudsBody} from './support/http.js';
import {decideInput} from './support/settings.js';
import {knoudsErrorOf, surfaces} from './support/surfaces.js';

// The edges of each rule, where an off-by-one would turn a retryable failure terminal or a valid setting refused.

const http = (status: number, code?: string, providerStatus?: number): Failure => ({kind: 'http', status, code, retryAfterMs: undefined, providerStatus});

const decideFor = (failure: Failure, overrides: Partial<DecideInput> = {}): ReturnType<typeof decide> => decide(decideInput(failure, 0, overrides));

describe('a bare HTTP 500, with no Knouds code', () => {
	it('is a server error, retried on the SERVER_ERROR policy like every other 5xx', () => {
		expect(policyKeyOf(http(500))).toBe('SERVER_ERROR');
		expect(decideFor(http(500))).toMatchObject({retry: true, source: 'backoff', key: 'SERVER_ERROR'});
	});

	it('is transient, so `retryable` tells the caller to try again later', () => {
		expect(isTransient(500, undefined, undefined)).toBe(true);
		expect(new KnoudsError(new Response('Internal Server Error', {status: 500})).retryable).toBe(true);
	});

	it('keys every codeless 5xx as SERVER_ERROR and every codeless 4xx but 429 as terminal, whatever the status', () => {
		fc.assert(fc.property(fc.integer({min: 400, max: 599}), status => {
			const key = policyKeyOf(http(status));
			const expected = status === 429 ? 'RATE_LIMIT_EXCEEDED' : status >= 500 ? 'SERVER_ERROR' : undefined;
			expect(key).toBe(expected);
			expect(isTransient(status, undefined, undefined)).toBe(status === 429 || status >= 500);
		}));
	});

	it('is where server errors start: a codeless 499 stays terminal', () => {
		expect(policyKeyOf(http(499))).toBeUndefined();
		expect(isTransient(499, undefined, undefined)).toBe(false);
		expect(decideFor(http(499))).toMatchObject({retry: false, reason: 'terminal'});
	});

	describe.each(surfaces)('through $name', surface => {
		it('is retried, and the retry\'s success returned', async () => {
			const seen = arrivals();
			api().get('/run').reply(seen.reply(500, 'Internal Server Error', {'content-type': 'text/plain'})).get('/run').reply(seen.reply(200, {ok: true}));
			expect(await surface.run({path: '/run'}, {random: () => 0})).toEqual({kind: 'ok', status: 200, body: {ok: true}});
			expect(seen.times).toHaveLength(2);
		});

		it('ends, once retries are used up, in a KnoudsError that says it is retryable', async () => {
			api().get('/run').times(4).reply(500, {error: 'boom'});
			const error = knoudsErrorOf(await surface.run({path: '/run'}, {random: () => 0}));
			expect(error).toMatchObject({status: 500, code: undefined, retryable: true, attempts: 4, stopReason: 'retries-exhausted'});
		});
	});
});

describe('PROVIDER_SUBMIT_FAILED, judged by the provider\'s status', () => {
	it('is retried when the provider answered a bare 500', () => {
		expect(isTransient(500, 'PROVIDER_SUBMIT_FAILED', 500)).toBe(true);
		expect(decideFor(http(500, 'PROVIDER_SUBMIT_FAILED', 500), {method: 'POST'})).toMatchObject({retry: true, key: 'PROVIDER_SUBMIT_FAILED'});
	});

	it('is terminal when the provider answered 499, the last of its 4xx', () => {
		expect(isTransient(500, 'PROVIDER_SUBMIT_FAILED', 499)).toBe(false);
		expect(decideFor(http(500, 'PROVIDER_SUBMIT_FAILED', 499), {method: 'POST'})).toMatchObject({retry: false, reason: 'terminal'});
	});

	it('follows the provider\'s status for every status it can have', () => {
		fc.assert(fc.property(fc.integer({min: 400, max: 599}), providerStatus => {
			const transient = providerStatus >= 500 || providerStatus === 429;
			expect(isTransient(500, 'PROVIDER_SUBMIT_FAILED', providerStatus)).toBe(transient);
			expect(decideFor(http(500, 'PROVIDER_SUBMIT_FAILED', providerStatus), {method: 'POST'}).retry).toBe(transient);
		}));
	});

	it('says `retryable: true` on a KnoudsError whose provider answered 500', () => {
		const body = knoudsBody('PROVIDER_SUBMIT_FAILED', 'upstream', {providerStatus: 500, providerBody: 'oops'});
		const error = new KnoudsError(new Response(JSON.stringify(body), {status: 500}), {body: JSON.stringify(body)});
		expect(error).toMatchObject({providerStatus: 500, retryable: true});
	});
});

describe('policy settings at the edge of what is allowed', () => {
	it('takes `{CODE: 0}` as "no retries": the first failure ends the call', () => {
		const policy = resolvePolicy({EXECUTION_FAILED: 0, SERVER_ERROR: {retries: 0}});
		expect(policy.EXECUTION_FAILED).toMatchObject({retries: 0});
		expect(policy.SERVER_ERROR).toMatchObject({retries: 0});
		expect(decideFor(http(500, 'EXECUTION_FAILED'), {policy})).toMatchObject({retry: false, reason: 'retries-exhausted'});
	});

	it('takes `minDelay: 0`, and then retries at once', () => {
		const policy = resolvePolicy({EXECUTION_FAILED: {minDelay: 0, jitter: 'none'}});
		expect(policy.EXECUTION_FAILED).toMatchObject({minDelay: 0});
		expect(decideFor(http(500, 'EXECUTION_FAILED'), {policy})).toMatchObject({retry: true, delay: 0});
	});

	it('takes `maxDelay: 0` with `minDelay: 0`, and a `minDelay` equal to `maxDelay`', () => {
		expect(resolvePolicy({EXECUTION_FAILED: {minDelay: 0, maxDelay: 0}}).EXECUTION_FAILED).toMatchObject({minDelay: 0, maxDelay: 0});
		expect(resolvePolicy({EXECUTION_FAILED: {minDelay: 700, maxDelay: 700}}).EXECUTION_FAILED).toMatchObject({minDelay: 700, maxDelay: 700});
	});

	it('takes `factor: 1`, and then waits the same for every retry', () => {
		const policy = resolvePolicy({EXECUTION_FAILED: {factor: 1, jitter: 'none', minDelay: 300}});
		expect(policy.EXECUTION_FAILED).toMatchObject({factor: 1});
		const curve = policy.EXECUTION_FAILED as Exclude<typeof policy.EXECUTION_FAILED, false>;
		expect([0, 1, 2, 5].map(index => backoffDelay(curve, index, () => 0))).toEqual([300, 300, 300, 300]);
	});

	it('refuses a factor just under 1, which would shrink each wait', () => {
		expect(() => resolvePolicy({EXECUTION_FAILED: {factor: 0.999}})).toThrow('`policy.EXECUTION_FAILED.factor`');
	});
});

// The ten errors that mean nothing of the request left: a POST that met one can be resent safely.
const preSendCodes = ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME', 'EHOSTUNREACH', 'EHOSTDOWN', 'ENETUNREACH', 'ENETDOWN', 'EADDRNOTAVAIL', 'UND_ERR_CONNECT_TIMEOUT'];

describe('a POST whose connection failed before anything was sent', () => {
	it.each(preSendCodes)('is resent after %s, since the server cannot have run it', async code => {
		let calls = 0;
		const knoudsFetch = createKnoudsFetch({
			random: () => 0,
			fetch: async () => {
				calls++;
				if (calls === 1) {
					throw new TypeError('fetch failed', {cause: Object.assign(new Error(`connect ${code}`), {code})});
				}

				return Response.json({ok: true});
			},
		});
		const response = await knoudsFetch('https://api.knouds.test/run', {method: 'POST', body: '{}'});
		expect(response.status).toBe(200);
		expect(calls).toBe(2);
	});

	it('is judged from a cause up to five errors deep, and no deeper (a cause chain may loop)', () => {
		const wrapped = (depth: number): unknown => {
			let error: unknown = {code: 'ECONNREFUSED'};
			for (let level = 0; level < depth; level++) {
				error = new Error(`level ${level}`, {cause: error});
			}

			return error;
		};

		expect(failedBeforeSend(wrapped(4))).toBe(true);
		expect(failedBeforeSend(wrapped(5))).toBe(false);
	});
});
