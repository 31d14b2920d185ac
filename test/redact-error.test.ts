import {inspect} from 'node:util';
import {describe, expect, it} from 'vitest';
import {redactError} from '../src/redact-error.js';
import {secretsOfCall} from '../src/secret-values.js';

const secret = 'kn_live_SECRET-0123456789abcdef';

describe('redactError', () => {
	it('redacts a value in the message and stack of the same error, which stays a TypeError', () => {
		const error = new TypeError(`bad value "${secret}"`);
		const result = redactError(error, [secret]);
		expect(result).toBe(error);
		expect(error).toBeInstanceOf(TypeError);
		expect(error.message).toBe('bad value "[REDACTED]"');
		expect(error.stack).toMatch(/^TypeError: bad value "\[REDACTED\]"\n/);
	});

	it('says once what to check when fetch refuses a header value, and redacts it even when the value is unknown', () => {
		const error = new TypeError(`Headers.append: "${secret}\nmore" is an invalid header value.`);
		redactError(error, []);
		expect(error.message).toBe('Headers.append: "[REDACTED]" is an invalid header value. (Redacted: a header value of this request holds a line break or another character no header can carry; check the API key for a stray newline.)');
		expect(error.stack).toContain(error.message);
		const {message, stack} = error;
		redactError(error, [secret]);
		expect([error.message, error.stack]).toEqual([message, stack]);
	});

	it('redacts a value quoted JSON-escaped, trimmed, or in pieces between line breaks', () => {
		const value = ` ${secret}\n${secret.toUpperCase()} `;
		const error = new Error(`${JSON.stringify(value)} / ${value.trim()} / ${secret.toUpperCase()}`);
		redactError(error, [value]);
		expect(error.message).not.toContain(secret);
		expect(error.message).not.toContain(secret.toUpperCase());
	});

	it('redacts credentials in URLs the text quotes, and in the causes and own strings Node adds', () => {
		const cause = Object.assign(new TypeError('Invalid URL'), {input: `nota url?api_key=${secret}`});
		const error = new TypeError(`Failed to parse URL from nota url?api_key=${secret}`, {cause});
		redactError(error, []);
		expect(inspect(error, {showHidden: true, depth: 8})).not.toContain(secret);
		expect(cause.input).toBe('nota url?api_key=[REDACTED]');
	});

	it('redacts the message of a DOMException, whose message is an accessor', () => {
		const error = new DOMException(`timed out on https://api.test/?token=${secret}`, 'TimeoutError');
		redactError(error, []);
		expect(error.message).toBe('timed out on https://api.test/?token=[REDACTED]');
		expect(error.name).toBe('TimeoutError');
	});

	it('replaces a frozen error it cannot change with a new one of the same standard class', () => {
		const error = Object.freeze(new TypeError(`bad "${secret}"`));
		const result = redactError(error, [secret]) as Error;
		expect(result).not.toBe(error);
		expect(result).toBeInstanceOf(TypeError);
		expect(result.message).toBe('bad "[REDACTED]"');
	});

	it('leaves an error without credentials untouched, and ignores values too short to be one', () => {
		const error = new TypeError('fetch failed: the key was abc');
		const {stack} = error;
		redactError(error, ['abc', '']);
		expect(error.message).toBe('fetch failed: the key was abc');
		expect(error.stack).toBe(stack);
	});

	it('redacts a thrown string and passes other values through', () => {
		expect(redactError(`no ${secret}`, [secret])).toBe('no [REDACTED]');
		expect(redactError(42, [secret])).toBe(42);
	});
});

describe('secretsOfCall', () => {
	it('reads the credential headers of every shape fetch takes, without validating them', () => {
		const bad = `${secret}\n`;
		expect(secretsOfCall('https://api.test/', {headers: {'X-Api-Key': bad, accept: 'json'}})).toEqual([bad]);
		expect(secretsOfCall('https://api.test/', {headers: [['authorization', bad], ['accept', 'json']]})).toEqual([bad]);
		expect(secretsOfCall('https://api.test/', {headers: new Headers({cookie: secret})})).toEqual([secret]);
	});

	it('reads a Request, the URL query and ky\'s searchParams, baseUrl and prefix', () => {
		const request = new Request(`https://api.test/?key=${secret}`, {headers: {'proxy-authorization': 'Basic abcdef'}});
		expect(secretsOfCall(request, undefined)).toEqual([secret, secret, 'Basic abcdef']);
		expect(secretsOfCall('run', {searchParams: {token: 'one', model: 'm'}, baseUrl: 'https://api.test/?sig=two', prefix: 'v1'})).toEqual(['one', 'two', 'two']);
		expect(secretsOfCall('run', {searchParams: 'token=three&page=1'})).toEqual(['three', 'three']);
		expect(secretsOfCall('run', {searchParams: new URLSearchParams({auth: 'four'})})).toEqual(['four']);
	});

	it('reads nothing from arguments that are not what fetch takes, and does not throw', () => {
		expect(secretsOfCall(42, 'x')).toEqual([]);
		expect(secretsOfCall(undefined, {headers: 5, searchParams: null})).toEqual([]);
	});
});
