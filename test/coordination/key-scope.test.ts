import fc from 'fast-check';
import {describe, expect, it} from 'vitest';
import {keyScope} from '../../src/coordination/key-scope.js';

const key = 'kn_live_3f9a1c7e5b2d4f6a8c0e';
const other = 'kn_live_0000aaaa1111bbbb2222';
const url = 'https://api.knouds.test/v1/models/flux/run';

describe('keyScope', () => {
	it('is the same for the same key in any header form', async () => {
		const scopes = await Promise.all([
			keyScope(new Headers({'x-api-key': key}), url),
			keyScope({'x-api-key': key}, url),
			keyScope([['x-api-key', key]], url),
			keyScope({'X-Api-Key': key}, url),
			keyScope([['X-API-KEY', key], ['content-type', 'application/json']], url),
			keyScope(new Headers({accept: 'application/json', 'x-api-key': key}), url),
		]);
		expect(new Set(scopes).size).toBe(1);
	});

	it('ignores the other headers', async () => {
		expect(await keyScope({'x-api-key': key, 'x-team': 'blue'}, url)).toBe(await keyScope({'x-api-key': key, 'x-team': 'red'}, url));
	});

	it('differs between keys', async () => {
		expect(await keyScope({'x-api-key': key}, url)).not.toBe(await keyScope({'x-api-key': other}, url));
	});

	it('is 32 lower-case hexadecimal characters', async () => {
		expect(await keyScope({'x-api-key': key}, url)).toMatch(/^[\da-f]{32}$/);
	});

	it('never contains the key itself', async () => {
		const scope = await keyScope({'x-api-key': key}, url);
		expect(scope).not.toContain(key);
		expect(scope).not.toContain('kn_live');
	});

	it('gives a missing key a scope of its own', async () => {
		const missing = await keyScope({}, url);
		expect(missing).toMatch(/^[\da-f]{32}$/);
		expect(await keyScope(new Headers(), url)).toBe(missing);
		expect(await keyScope([], url)).toBe(missing);
		expect(missing).not.toBe(await keyScope({'x-api-key': key}, url));
	});

	it('is the same every time it is asked, cached or not', async () => {
		const first = await keyScope({'x-api-key': key}, url);
		// Enough other keys to push this one out of the cache.
		await Promise.all(Array.from({length: 300}, async (_, index) => keyScope({'x-api-key': `kn_live_${index}`}, url)));
		expect(await keyScope({'x-api-key': key}, url)).toBe(first);
	});
});

describe('keyScope properties', () => {
	const anyKey = fc.stringMatching(/^kn_[\w-]{1,64}$/);

	it('is a 32-hex-char digest that never contains the key, the same in every header form', async () => {
		await fc.assert(fc.asyncProperty(anyKey, async apiKey => {
			const scope = await keyScope({'x-api-key': apiKey}, url);
			expect(scope).toMatch(/^[\da-f]{32}$/);
			expect(scope).not.toContain(apiKey);
			expect(await keyScope(new Headers([['X-Api-Key', apiKey]]), url)).toBe(scope);
			expect(await keyScope([['x-api-key', apiKey]], url)).toBe(scope);
		}));
	});

	it('differs between distinct keys', async () => {
		await fc.assert(fc.asyncProperty(anyKey, anyKey, async (first, second) => {
			fc.pre(first !== second);
			expect(await keyScope({'x-api-key': first}, url)).not.toBe(await keyScope({'x-api-key': second}, url));
		}));
	});
});

describe('keyScope of a latch', () => {
	it('is the same for the same credential at any path of one origin', async () => {
		expect(await keyScope({'x-api-key': key}, 'https://api.knouds.test/v1/a')).toBe(await keyScope({'x-api-key': key}, 'https://api.knouds.test/v1/b?page=2'));
	});

	it('differs between origins, so that a key refused by one host holds no call to another', async () => {
		expect(await keyScope({'x-api-key': key}, 'https://api.knouds.test/v1/a')).not.toBe(await keyScope({'x-api-key': key}, 'https://eu.knouds.test/v1/a'));
	});

	it.each(['authorization', 'proxy-authorization', 'cookie'])('differs between credentials carried in %s, so that a refreshed token is not held', async header => {
		expect(await keyScope({[header]: 'Bearer old'}, url)).not.toBe(await keyScope({[header]: 'Bearer new'}, url));
	});

	it('differs between credentials carried in the query, and ignores other query parameters', async () => {
		expect(await keyScope({}, `${url}?api_key=one`)).not.toBe(await keyScope({}, `${url}?api_key=two`));
		expect(await keyScope({}, `${url}?api_key=one&page=1`)).toBe(await keyScope({}, `${url}?page=2&api_key=one`));
	});
});
