import fc from 'fast-check';
import {describe, expect, it} from 'vitest';
import {knoudsCodes, knoudsErrorCatalog} from '../src/catalog.js';
import {decide, type DecideInput} from '../src/decide.js';
import {policyKeyOf, type Failure} from '../src/failure.js';
import {defaultIdempotentMethods} from '../src/options.js';
import {defaultPolicy, resolvePolicy} from '../src/policy.js';
import {decideInput} from './support/settings.js';

const http = (status: number, code?: string, extra: {retryAfterMs?: number; providerStatus?: number} = {}): Failure =>
	({kind: 'http', status, code, retryAfterMs: extra.retryAfterMs, providerStatus: extra.providerStatus});
const network = (beforeSend: boolean): Failure => ({kind: 'network', beforeSend});
const timeout: Failure = {kind: 'timeout'};

const input = (failure: Failure, overrides: Partial<DecideInput> = {}): DecideInput => decideInput(failure, 1_000_000, overrides);

describe('decide on rate limits', () => {
	it('waits exactly the Retry-After and adds no jitter to it', () => {
		for (const random of [0, 0.5, 0.999]) {
			expect(decide(input(http(429, 'RATE_LIMIT_EXCEEDED', {retryAfterMs: 7000}), {random: () => random})))
				.toEqual({retry: true, delay: 7000, source: 'retry-after', key: 'RATE_LIMIT_EXCEEDED'});
		}
	});

	it('waits a Retry-After of exactly maxRetryAfter', () => {
		expect(decide(input(http(429, 'RATE_LIMIT_EXCEEDED', {retryAfterMs: 60_000})))).toMatchObject({retry: true, delay: 60_000});
	});

	it('stops with retry-after-too-long when the server asks for more than maxRetryAfter', () => {
		expect(decide(input(http(429, 'RATE_LIMIT_EXCEEDED', {retryAfterMs: 60_001}))))
			.toEqual({retry: false, reason: 'retry-after-too-long', key: 'RATE_LIMIT_EXCEEDED'});
	});

	it('backs off on the rate-limit curve when no Retry-After came', () => {
		expect(decide(input(http(429, 'RATE_LIMIT_EXCEEDED'))))
			.toEqual({retry: true, delay: 500, source: 'backoff', key: 'RATE_LIMIT_EXCEEDED'});
	});

	it('treats a codeless 429 from a gateway as RATE_LIMIT_EXCEEDED', () => {
		expect(decide(input(http(429, undefined, {retryAfterMs: 2000}))))
			.toEqual({retry: true, delay: 2000, source: 'retry-after', key: 'RATE_LIMIT_EXCEEDED'});
	});
});

describe('decide on provider failures', () => {
	it('retries EXECUTION_FAILED on the provider backoff curve, even for POST', () => {
		expect(decide(input(http(500, 'EXECUTION_FAILED'), {method: 'POST', retriesSoFar: 2})))
			.toEqual({retry: true, delay: 1000, source: 'backoff', key: 'EXECUTION_FAILED'});
	});

	it('treats PROVIDER_SUBMIT_FAILED with an upstream 4xx as terminal', () => {
		for (const providerStatus of [400, 404, 422]) {
			expect(decide(input(http(500, 'PROVIDER_SUBMIT_FAILED', {providerStatus}))))
				.toEqual({retry: false, reason: 'terminal', key: 'PROVIDER_SUBMIT_FAILED'});
		}
	});

	it('retries PROVIDER_SUBMIT_FAILED with an upstream 5xx or 429', () => {
		for (const providerStatus of [503, 500, 429]) {
			expect(decide(input(http(500, 'PROVIDER_SUBMIT_FAILED', {providerStatus})))).toMatchObject({retry: true, key: 'PROVIDER_SUBMIT_FAILED'});
		}
	});

	it('retries PROVIDER_SUBMIT_FAILED without a providerStatus', () => {
		expect(decide(input(http(500, 'PROVIDER_SUBMIT_FAILED')))).toMatchObject({retry: true, source: 'backoff'});
	});

	it('stops with retries-exhausted once the code has used its retries', () => {
		expect(decide(input(http(500, 'EXECUTION_FAILED'), {retriesSoFar: 2}))).toMatchObject({retry: true});
		expect(decide(input(http(500, 'EXECUTION_FAILED'), {retriesSoFar: 3})))
			.toEqual({retry: false, reason: 'retries-exhausted', key: 'EXECUTION_FAILED'});
	});

	it('treats a code the user set to false as terminal', () => {
		const policy = resolvePolicy({PROVIDER_RESPONSE_INCOMPLETE: false});
		expect(decide(input(http(500, 'PROVIDER_RESPONSE_INCOMPLETE'), {policy}))).toMatchObject({retry: false, reason: 'terminal'});
	});
});

describe('decide on network errors and timeouts', () => {
	it('does not resend a POST after a network error that may have reached the server', () => {
		expect(decide(input(network(false), {method: 'POST'}))).toEqual({retry: false, reason: 'not-idempotent', key: 'NETWORK_ERROR'});
	});

	it('resends a POST when the connection failed before anything was sent', () => {
		expect(decide(input(network(true), {method: 'POST'}))).toMatchObject({retry: true, key: 'NETWORK_ERROR'});
	});

	it('resends a POST after a network error when POST is listed as idempotent', () => {
		const idempotentMethods = new Set([...defaultIdempotentMethods, 'POST']);
		expect(decide(input(network(false), {method: 'POST', idempotentMethods}))).toMatchObject({retry: true});
	});

	it('resends a GET after a network error', () => {
		expect(decide(input(network(false)))).toMatchObject({retry: true, source: 'backoff', key: 'NETWORK_ERROR'});
	});

	it('does not resend a POST after a timeout, but does resend a GET', () => {
		expect(decide(input(timeout, {method: 'POST'}))).toEqual({retry: false, reason: 'not-idempotent', key: 'TIMEOUT'});
		expect(decide(input(timeout))).toMatchObject({retry: true, key: 'TIMEOUT'});
	});
});

describe('decide on terminal and unknown failures', () => {
	it('treats a codeless 401 and 404 as terminal with no policy key', () => {
		expect(decide(input(http(401)))).toEqual({retry: false, reason: 'terminal', key: undefined});
		expect(decide(input(http(404)))).toEqual({retry: false, reason: 'terminal', key: undefined});
	});

	it.each(['INSUFFICIENT_CREDITS', 'grant_exhausted', 'CAPABILITY_DENIED', 'INVALID_INPUTS', 'MODEL_NOT_FOUND'] as const)('treats %s as terminal', code => {
		expect(decide(input(http(knoudsErrorCatalog[code].status, code)))).toEqual({retry: false, reason: 'terminal', key: code});
	});

	it('treats an unknown code on a 4xx as terminal, and codes as case-sensitive', () => {
		expect(decide(input(http(418, 'I_AM_A_TEAPOT')))).toEqual({retry: false, reason: 'terminal', key: undefined});
		expect(decide(input(http(402, 'GRANT_EXHAUSTED')))).toEqual({retry: false, reason: 'terminal', key: undefined});
	});

	it('retries an unknown or missing code on a 5xx as SERVER_ERROR', () => {
		expect(decide(input(http(503, 'UPSTREAM_DOWN')))).toMatchObject({retry: true, key: 'SERVER_ERROR'});
		expect(decide(input(http(502)))).toMatchObject({retry: true, key: 'SERVER_ERROR'});
		expect(decide(input(http(500)))).toMatchObject({retry: true, key: 'SERVER_ERROR'});
		expect(decide(input(http(599, 'UPSTREAM_DOWN')))).toMatchObject({retry: true, key: 'SERVER_ERROR'});
	});
});

describe('decide with a deadline', () => {
	it('stops with total-timeout when the wait would reach the deadline', () => {
		const failure = http(429, 'RATE_LIMIT_EXCEEDED', {retryAfterMs: 5000});
		expect(decide(input(failure, {deadline: 1_005_000}))).toEqual({retry: false, reason: 'total-timeout', key: 'RATE_LIMIT_EXCEEDED'});
		expect(decide(input(failure, {deadline: 1_005_001}))).toMatchObject({retry: true, delay: 5000});
	});
});

describe('decide with a shouldRetry verdict', () => {
	it('retries a terminal code when forced, on the fallback curve', () => {
		expect(decide(input(http(402, 'INSUFFICIENT_CREDITS'), {force: true})))
			.toEqual({retry: true, delay: 250, source: 'backoff', key: 'INSUFFICIENT_CREDITS'});
		expect(decide(input(http(404), {force: true}))).toEqual({retry: true, delay: 250, source: 'backoff', key: undefined});
	});

	it('retries when forced past exhausted retries, non-idempotence and a long Retry-After', () => {
		expect(decide(input(http(500, 'EXECUTION_FAILED'), {force: true, retriesSoFar: 99}))).toMatchObject({retry: true});
		expect(decide(input(network(false), {force: true, method: 'POST'}))).toMatchObject({retry: true});
		expect(decide(input(http(429, undefined, {retryAfterMs: 120_000}), {force: true}))).toMatchObject({retry: true, delay: 120_000});
	});

	it('still respects the deadline when forced', () => {
		expect(decide(input(http(402, 'INSUFFICIENT_CREDITS'), {force: true, deadline: 1_000_100})))
			.toEqual({retry: false, reason: 'total-timeout', key: 'INSUFFICIENT_CREDITS'});
	});

	it('stops with should-retry when the verdict is false', () => {
		expect(decide(input(http(500, 'EXECUTION_FAILED'), {force: false})))
			.toEqual({retry: false, reason: 'should-retry', key: 'EXECUTION_FAILED'});
	});
});

describe('decide properties', () => {
	const code = fc.option(fc.constantFrom(...knoudsCodes, 'UNKNOWN_CODE', 'GRANT_EXHAUSTED'), {nil: undefined});
	const maybe = <T>(value: fc.Arbitrary<T>) => fc.option(value, {nil: undefined});
	const failure: fc.Arbitrary<Failure> = fc.oneof(
		fc.record({status: fc.integer({min: 400, max: 599}), code, retryAfterMs: maybe(fc.nat({max: 200_000})), providerStatus: maybe(fc.integer({min: 100, max: 599}))})
			.map(fields => ({kind: 'http' as const, ...fields})),
		fc.boolean().map(beforeSend => network(beforeSend)),
		fc.constant(timeout),
	);
	const decideInput = fc.record({
		failure,
		method: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE'),
		retriesSoFar: fc.nat({max: 8}),
		now: fc.nat({max: 1e12}),
		window: maybe(fc.nat({max: 100_000})),
		unit: fc.double({min: 0, max: 1, maxExcluded: true, noNaN: true}),
		force: maybe(fc.boolean()),
	}).map(({window, unit, ...rest}) => input(rest.failure, {...rest, deadline: window === undefined ? undefined : rest.now + window, random: () => unit}));

	it('never returns a retry whose wait reaches the deadline', () => {
		fc.assert(fc.property(decideInput, value => {
			const decision = decide(value);
			if (decision.retry && value.deadline !== undefined) {
				expect(value.now + decision.delay).toBeLessThan(value.deadline);
			}
		}));
	});

	it('never retries a terminal code unless forced', () => {
		fc.assert(fc.property(decideInput, value => {
			const key = policyKeyOf(value.failure);
			if (value.force !== true && (key === undefined || !defaultPolicy[key])) {
				expect(decide(value).retry).toBe(false);
			}
		}));
	});

	it('never jitters a Retry-After', () => {
		fc.assert(fc.property(decideInput, fc.double({min: 0, max: 1, maxExcluded: true, noNaN: true}), (value, other) => {
			const decision = decide(value);
			if (decision.retry && value.failure.kind === 'http' && value.failure.retryAfterMs !== undefined) {
				expect(decision).toMatchObject({delay: value.failure.retryAfterMs, source: 'retry-after'});
				expect(decide({...value, random: () => other})).toEqual(decision);
			}
		}));
	});

	it('never retries a key more often than its retries allow', () => {
		fc.assert(fc.property(decideInput, value => {
			const unforced = {...value, force: undefined, deadline: undefined};
			const key = policyKeyOf(value.failure);
			const policy = key === undefined ? false : defaultPolicy[key];
			const allowed = policy === false ? 0 : policy.retries;
			const retried = Array.from({length: 20}, (_, retriesSoFar) => decide({...unforced, retriesSoFar})).filter(decision => decision.retry);
			expect(retried.length).toBeLessThanOrEqual(allowed);
		}));
	});

	it('reports the policy key of the failure in every decision', () => {
		fc.assert(fc.property(decideInput, value => {
			expect(decide(value).key).toBe(policyKeyOf(value.failure));
		}));
	});
});
