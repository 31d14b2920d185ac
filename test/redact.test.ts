import type {NormalizedOptions} from 'ky';
import {describe, expect, it} from 'vitest';
import {createKnoudsFetch, KnoudsError} from '../src/index.js';
import {hideProperty, redactRequest} from '../src/redact.js';

// The request and options a KnoudsError keeps are redacted copies: what they would show of a key is
// `[REDACTED]`, and what they show of the rest is what a user debugs the call with.

const key = 'kn_live_SECRET-0123456789abcdef';

const errorWith = (options: Record<string, unknown>): KnoudsError => new KnoudsError(new Response('{}', {status: 500}), {
	request: new Request('https://api.knouds.test/v1/run'),
	options: {headers: new Headers(), ...options} as unknown as NormalizedOptions,
});

describe('redactRequest', () => {
	it('keeps the redacted headers of a call whose URL fetch cannot parse, under a placeholder URL', async () => {
		// A custom fetch that resolves relative URLs itself: the error's request cannot hold '/v1/run'.
		const errors: unknown[] = [];
		const knoudsFetch = createKnoudsFetch({
			fetch: async () => Response.json({error: 'provider down', code: 'EXECUTION_FAILED'}, {status: 500}),
			shouldRetry({error}) {
				errors.push(error);
				return false;
			},
		});
		expect((await knoudsFetch('/v1/models/flux/run', {method: 'POST', headers: {'x-api-key': key, 'x-trace': 'abc'}})).status).toBe(500);
		const [error] = errors;
		expect(error).toBeInstanceOf(KnoudsError);
		const {request} = error as KnoudsError;
		expect(request.url).toBe('http://invalid.invalid/');
		expect(request.headers.get('x-api-key')).toBe('[REDACTED]');
		expect(request.headers.get('x-trace')).toBe('abc');
	});

	it('falls back on the placeholder URL for a method fetch forbids, keeping the redacted headers', () => {
		const request = redactRequest('https://api.knouds.test/v1/run?key=abcdef', 'CONNECT', {authorization: `Bearer ${key}`, accept: 'application/json'});
		expect(request.url).toBe('http://invalid.invalid/');
		expect(Object.fromEntries(request.headers)).toEqual({authorization: '[REDACTED]', accept: 'application/json'});
	});
});

describe('hideProperty, as KnoudsError hides its request and options', () => {
	it('lets the code that catches a KnoudsError replace or delete its request and options, as before logging it', () => {
		const error = errorWith({});
		const replacement = new Request('https://example.test/');
		(error as {request: Request}).request = replacement;
		expect(error.request).toBe(replacement);
		expect(delete (error as {options?: unknown}).options).toBe(true);
		expect(error).not.toHaveProperty('options');
		const target = {};
		hideProperty(target, 'secret', 1);
		expect(Object.keys(target)).toEqual([]);
	});
});

describe('redactOptionUrls, as KnoudsError keeps ky\'s options', () => {
	it('redacts a key in the prefix and in the baseUrl, given as a string or a URL', () => {
		const options = errorWith({prefix: `https://api.knouds.test/?api_key=${key}`, baseUrl: new URL(`https://api.knouds.test/?token=${key}`)}).options as unknown as Record<string, unknown>;
		expect(options['prefix']).toBe('https://api.knouds.test/?api_key=[REDACTED]');
		expect(options['baseUrl']).toBe('https://api.knouds.test/?token=[REDACTED]');
	});

	it('adds no baseUrl or prefix to options that had none, and keeps one that is not a URL as it was', () => {
		const options = errorWith({timeout: 1000}).options as unknown as Record<string, unknown>;
		expect(options).not.toHaveProperty('baseUrl');
		expect(options).not.toHaveProperty('prefix');
		expect((errorWith({prefix: 42}).options as unknown as Record<string, unknown>)['prefix']).toBe(42);
	});
});
