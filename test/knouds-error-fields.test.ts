import {inspect} from 'node:util';
import {HTTPError, type NormalizedOptions} from 'ky';
import {describe, expect, it} from 'vitest';
import {isKnoudsError, KnoudsError, type KnoudsErrorInit} from '../src/index.js';
import {secretKey} from './support/http.js';

// What a KnoudsError carries, field by field: what a catch block, a log line and a retry decision read.

const response = (status: number, body: unknown, headers: Record<string, string> = {}): Response =>
	new Response(typeof body === 'string' ? body : JSON.stringify(body), {status, headers: {'content-type': 'application/json', ...headers}});

const errorOf = (status: number, body: unknown, init: Omit<KnoudsErrorInit, 'body'> = {}): KnoudsError =>
	new KnoudsError(response(status, body), {...init, body: typeof body === 'string' ? body : JSON.stringify(body)});

const request = new Request('https://api.knouds.test/v1/models/flux/run?api_key=kn_query_secret', {method: 'POST', headers: {'x-api-key': secretKey, accept: 'application/json'}});

describe('KnoudsError fields', () => {
	it('reads every field of a PROVIDER_SUBMIT_FAILED body, and how the call ended', () => {
		const error = errorOf(500, {error: 'upstream said no', code: 'PROVIDER_SUBMIT_FAILED', providerStatus: 422, providerBody: {detail: 'bad prompt'}}, {request, attempts: 3, retryAfterMs: 1500, stopReason: 'terminal'});
		expect({
			status: error.status,
			code: error.code,
			apiMessage: error.apiMessage,
			providerStatus: error.providerStatus,
			providerBody: error.providerBody,
			retryable: error.retryable,
			attempts: error.attempts,
			retryAfterMs: error.retryAfterMs,
			stopReason: error.stopReason,
			required: error.required,
			attempted: error.attempted,
		}).toStrictEqual({
			status: 500,
			code: 'PROVIDER_SUBMIT_FAILED',
			apiMessage: 'upstream said no',
			providerStatus: 422,
			providerBody: {detail: 'bad prompt'},
			retryable: false,
			attempts: 3,
			retryAfterMs: 1500,
			stopReason: 'terminal',
			required: undefined,
			attempted: undefined,
		});
		expect(error.body).toStrictEqual({error: 'upstream said no', code: 'PROVIDER_SUBMIT_FAILED', providerStatus: 422, providerBody: {detail: 'bad prompt'}});
		// ky's HTTPError field, for code written against ky.
		expect(error.data).toBe(error.body);
	});

	it('reads `required` and `attempted`, the capabilities a 403 names', () => {
		expect(errorOf(403, {error: 'no', code: 'CAPABILITY_DENIED', required: 'model:run'}).required).toBe('model:run');
		expect(errorOf(403, {error: 'no', code: 'CAPABILITY_ABOVE_CEILING', attempted: ['a:b', 'c:d']}).attempted).toStrictEqual(['a:b', 'c:d']);
	});

	it('counts one attempt and no stop reason when it is made from a response alone, and judges it by its status', () => {
		const error = new KnoudsError(response(402, {error: 'low', code: 'INSUFFICIENT_CREDITS'}));
		expect(error).toMatchObject({status: 402, attempts: 1, stopReason: undefined, retryAfterMs: undefined, code: undefined, retryable: false});
	});

	it('takes a body given already parsed as it is', () => {
		const error = new KnoudsError(response(403, ''), {body: {error: 'denied', code: 'CAPABILITY_DENIED', required: 'x:y'}});
		expect(error).toMatchObject({code: 'CAPABILITY_DENIED', apiMessage: 'denied', required: 'x:y'});
	});

	it('leads its stack with its whole message, ky\'s words and then what Knouds said', () => {
		const error = errorOf(402, {error: 'low', code: 'INSUFFICIENT_CREDITS'});
		expect(error.stack?.split('\n')[0]).toBe(`HTTPError: ${error.message.split('\n')[0]}`);
		expect(error.stack?.split('\n')[0]).toMatch(/^HTTPError: Request failed with status code 402\b.* — Knouds INSUFFICIENT_CREDITS: low\. /);
	});

	it('is a ky HTTPError, as existing catch blocks expect', () => {
		const error = errorOf(500, {error: 'x', code: 'EXECUTION_FAILED'});
		expect(error).toBeInstanceOf(HTTPError);
		expect(error.name).toBe('HTTPError');
	});
});

describe('KnoudsError request and options', () => {
	it('keeps the request it was given with the key and query secret redacted, and its method', () => {
		const error = errorOf(401, {error: 'no'}, {request});
		expect(error.request.method).toBe('POST');
		expect(error.request.headers.get('x-api-key')).toBe('[REDACTED]');
		expect(error.request.headers.get('accept')).toBe('application/json');
		expect(error.request.url).not.toContain('kn_query_secret');
		expect(error.request.url).toContain('https://api.knouds.test/v1/models/flux/run');
	});

	it('falls back on the response\'s URL and GET without a request, and on a placeholder URL without either', () => {
		const withUrl = response(404, {error: 'gone'});
		Object.defineProperty(withUrl, 'url', {value: 'https://api.knouds.test/v1/x'});
		expect(new KnoudsError(withUrl).request).toMatchObject({url: 'https://api.knouds.test/v1/x', method: 'GET'});
		expect(new KnoudsError(response(404, {error: 'gone'})).request.url).toBe('http://invalid.invalid/');
	});

	it('keeps the options\' body and context, with every credential the call carried redacted wherever they repeat it', () => {
		const kyOptions = {method: 'POST', headers: new Headers({'x-api-key': secretKey}), body: `{"note":"${secretKey}","inputs":{}}`, context: {token: secretKey, job: {id: 'job-7', auth: `Bearer ${secretKey}`}}, baseUrl: 'https://api.knouds.test/?key=kn_base_secret', retry: {limit: 0}} as unknown as NormalizedOptions;
		const fromKy = errorOf(500, {error: 'x'}, {request, options: kyOptions});
		expect(fromKy.options.method).toBe('POST');
		expect(fromKy.options.body).toBe('{"note":"[REDACTED]","inputs":{}}');
		expect(fromKy.options.context).toStrictEqual({token: '[REDACTED]', job: {id: 'job-7', auth: 'Bearer [REDACTED]'}});
		expect(new Headers(fromKy.options.headers).get('x-api-key')).toBe('[REDACTED]');
		expect((fromKy.options as unknown as {baseUrl: string}).baseUrl).not.toContain('kn_base_secret');
		expect((fromKy.options as unknown as {retry: unknown}).retry).toStrictEqual({limit: 0});
		expect(Object.isFrozen(fromKy.options)).toBe(true);

		const alone = errorOf(500, {error: 'x'}, {request});
		expect(alone.options.method).toBe('POST');
		expect(new Headers(alone.options.headers).get('x-api-key')).toBe('[REDACTED]');
		expect(alone.options.body).toBeUndefined();
		expect(alone.options.context).toStrictEqual({});
	});

	it('hides request and options from JSON.stringify and util.inspect, so no log line carries them', () => {
		const error = errorOf(401, {error: 'no'}, {request});
		expect(Object.keys(error)).not.toContain('request');
		expect(Object.keys(error)).not.toContain('options');
		expect(inspect(error, {depth: 5})).not.toContain(secretKey);
		expect(JSON.stringify(error)).not.toContain(secretKey);
	});
});

describe('KnoudsError#toJSON()', () => {
	it('lists every field a log needs, by name, undefined ones included', () => {
		const error = errorOf(403, {error: 'denied', code: 'CAPABILITY_DENIED', required: 'model:run'}, {attempts: 2, stopReason: 'terminal'});
		const json = error.toJSON();
		expect(Object.keys(json)).toEqual(['name', 'message', 'status', 'code', 'retryable', 'attempts', 'retryAfterMs', 'stopReason', 'required', 'attempted', 'providerStatus', 'providerBody', 'body']);
		expect(json).toStrictEqual({
			name: 'KnoudsError',
			message: error.message,
			status: 403,
			code: 'CAPABILITY_DENIED',
			retryable: false,
			attempts: 2,
			retryAfterMs: undefined,
			stopReason: 'terminal',
			required: 'model:run',
			attempted: undefined,
			providerStatus: undefined,
			providerBody: undefined,
			body: {error: 'denied', code: 'CAPABILITY_DENIED', required: 'model:run'},
		});
	});

	it('keeps a body whose JSON is exactly 2,048 characters whole, and previews one a character longer', () => {
		const sized = (length: number): string => 'x'.repeat(length - 2);
		// A string body's JSON is the string and its two quotes.
		expect(errorOf(502, sized(2048)).toJSON()['body']).toBe(sized(2048));
		const longer = errorOf(502, sized(2049)).toJSON();
		expect(longer).not.toHaveProperty('body');
		expect(longer['bodyPreview']).toBe(`${sized(2049).slice(0, 499)}…`);
	});

	it('previews in at most 500 characters, cut with an ellipsis, and says when a body nests too deep to show', () => {
		const deepBody = (text: string): unknown => {
			let value: unknown = text;
			for (let depth = 0; depth < 70; depth++) {
				value = [value];
			}

			return value;
		};

		// Too deep to serialise: its preview says so.
		expect(new KnoudsError(response(500, ''), {body: deepBody('x')}).toJSON()['bodyPreview']).toBe('[a value nested deeper than 64 levels]');
		const page = 'p'.repeat(3000);
		const preview = errorOf(502, page).toJSON()['bodyPreview'] as string;
		expect(preview).toHaveLength(500);
		expect(preview.endsWith('…')).toBe(true);
	});

	it('previews a large parsed body as its JSON text', () => {
		const body = {error: 'big', code: 'EXECUTION_FAILED', detail: 'd'.repeat(3000)};
		const json = errorOf(500, body).toJSON();
		expect(json['bodyPreview']).toBe(`${JSON.stringify(body).slice(0, 499)}…`);
	});

	it('previews a large providerBody apart from the body', () => {
		const providerBody = 'q'.repeat(2100);
		const body = {error: 'x', code: 'PROVIDER_SUBMIT_FAILED', providerStatus: 503, providerBody};
		const json = errorOf(500, body).toJSON();
		expect(json['providerBodyPreview']).toBe(`${providerBody.slice(0, 499)}…`);
		expect(json).not.toHaveProperty('providerBody');
		expect(json).toHaveProperty('bodyPreview');
	});
});

describe('isKnoudsError', () => {
	it('recognises a KnoudsError from another copy of the package by its brand, and nothing else by its shape', () => {
		const brand = Symbol.for('knouds-retry.KnoudsError');
		const foreign = {code: 'INSUFFICIENT_CREDITS', get [brand]() {
			return true;
		}};
		expect(isKnoudsError(foreign)).toBe(true);
		expect(isKnoudsError(foreign, 'INSUFFICIENT_CREDITS')).toBe(true);
		expect(isKnoudsError(foreign, 'grant_exhausted')).toBe(false);
		expect(isKnoudsError({[brand]: 'yes', code: 'INSUFFICIENT_CREDITS'})).toBe(false);
	});
});
