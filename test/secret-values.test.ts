import {describe, expect, it} from 'vitest';
import {redactError} from '../src/redact-error.js';
import {secretsOfCall} from '../src/secret-values.js';

// What secretsOfCall finds is what an error may not show: a credential it misses is printed in a log line.

const key = 'kn_live_SECRET-0123456789abcdef';

// A Request from another realm or a polyfill: not an instance of this runtime's Request, but tagged as one.
const requestLike = (url: string, headers: Record<string, string>): object => ({
	[Symbol.toStringTag]: 'Request',
	url,
	method: 'GET',
	headers: new Headers(headers),
	body: null,
});

describe('secretsOfCall', () => {
	it('finds the key in the query of a URL given as a string or as a URL, so an error quoting the URL decoded does not show it', () => {
		const url = `https://api.knouds.test/v1/run?api_key=${encodeURIComponent('kn live/key')}`;
		expect(secretsOfCall(url, undefined)).toEqual(['kn%20live%2Fkey', 'kn live/key']);
		expect(secretsOfCall(new URL(url), undefined)).toEqual(['kn%20live%2Fkey', 'kn live/key']);
		const error = new Error('refused kn live/key');
		redactError(error, secretsOfCall(url, undefined));
		expect(error.message).toBe('refused [REDACTED]');
	});

	it('finds the key and the query credentials of a Request from another realm or a polyfill', () => {
		const like = requestLike(`https://api.knouds.test/?token=${key}`, {'x-api-key': 'kn_other_key'});
		expect(secretsOfCall(like, undefined)).toEqual([key, key, 'kn_other_key']);
	});

	it('finds a key given as a number or a bigint, which fetch sends as its digits', () => {
		expect(secretsOfCall('https://api.knouds.test/', {headers: {'x-api-key': 12_345_678}})).toEqual(['12345678']);
		expect(secretsOfCall('https://api.knouds.test/', {headers: {authorization: 98_765_432_109_876_543_210n}})).toEqual(['98765432109876543210']);
	});

	it('takes no credential from a header left undefined, which would otherwise redact every "undefined" in an error', () => {
		const secrets = secretsOfCall('https://api.knouds.test/', {headers: {'x-api-key': undefined, authorization: null, cookie: true, 'proxy-authorization': {}}});
		expect(secrets).toEqual([]);
		const error = new TypeError('Cannot read properties of undefined (reading \'json\')');
		redactError(error, secrets);
		expect(error.message).toBe('Cannot read properties of undefined (reading \'json\')');
	});

	it('finds a key under a header name written with stray spaces or capitals', () => {
		expect(secretsOfCall('https://api.knouds.test/', {headers: {' X-Api-Key ': key}})).toEqual([key]);
		expect(secretsOfCall('https://api.knouds.test/', {headers: [['\tAuthorization', `Bearer ${key}`]]})).toEqual([`Bearer ${key}`]);
	});

	it('finds a token in a searchParams string that starts with ?, as ky accepts it', () => {
		expect(secretsOfCall('run', {searchParams: `?token=${key}&page=2`})).toEqual([key, key]);
	});

	it('finds a token in a URL nested in a searchParams string', () => {
		expect(secretsOfCall('run', {searchParams: `next=https://other.test/cb?token=${key}`})).toEqual([key, key]);
	});

	it('does not throw on arguments that are not what fetch takes, so the call fails for its own reason', () => {
		expect(secretsOfCall('https://api.knouds.test/', null)).toEqual([]);
		expect(secretsOfCall('https://api.knouds.test/', {headers: [5, null, 'x-api-key', ['x-api-key']]})).toEqual([]);
		expect(secretsOfCall('https://api.knouds.test/', {headers: {[Symbol.iterator]: () => {
			throw new Error('broken iterator');
		}}})).toEqual([]);
	});
});
