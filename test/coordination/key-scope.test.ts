import fc from 'fast-check';
import {describe, expect, it} from 'vitest';
import {keyScope} from '../../src/coordination/key-scope.js';

const key = 'kn_live_3f9a1c7e5b2d4f6a8c0e';
const other = 'kn_live_0000aaaa1111bbbb2222';

describe('keyScope', () => {
	it('is the same for the same key in any header form', async () => {
		const scopes = await Promise.all([
			keyScope(new Headers({'x-api-key': key})),
			keyScope({'x-api-key': key}),
			keyScope([['x-api-key', key]]),
			keyScope({'X-Api-Key': key}),
			keyScope([['X-API-KEY', key], ['content-type', 'application/json']]),
			keyScope(new Headers({accept: 'application/json', 'x-api-key': key})),
		]);
		expect(new Set(scopes).size).toBe(1);
	});

	it('ignores the other headers', async () => {
		expect(await keyScope({'x-api-key': key, 'x-team': 'blue'})).toBe(await keyScope({'x-api-key': key, 'x-team': 'red'}));
	});

	it('differs between keys', async () => {
		expect(await keyScope({'x-api-key': key})).not.toBe(await keyScope({'x-api-key': other}));
	});

	it('is 32 lower-case hexadecimal characters', async () => {
		expect(await keyScope({'x-api-key': key})).toMatch(/^[\da-f]{32}$/);
	});

	it('never contains the key itself', async () => {
		const scope = await keyScope({'x-api-key': key});
		expect(scope).not.toContain(key);
		expect(scope).not.toContain('kn_live');
	});

	it('gives a missing key a scope of its own', async () => {
		const missing = await keyScope({});
		expect(missing).toMatch(/^[\da-f]{32}$/);
		expect(await keyScope(new Headers())).toBe(missing);
		expect(await keyScope([])).toBe(missing);
		expect(missing).not.toBe(await keyScope({'x-api-key': key}));
	});

	it('is the same every time it is asked, cached or not', async () => {
		const first = await keyScope({'x-api-key': key});
		// Enough other keys to push this one out of the cache.
		await Promise.all(Array.from({length: 300}, async (_, index) => keyScope({'x-api-key': `kn_live_${index}`})));
		expect(await keyScope({'x-api-key': key})).toBe(first);
	});
});

describe('keyScope properties', () => {
	const anyKey = fc.stringMatching(/^kn_[\w-]{1,64}$/);

	it('is a 32-hex-char digest that never contains the key, the same in every header form', async () => {
		await fc.assert(fc.asyncProperty(anyKey, async apiKey => {
			const scope = await keyScope({'x-api-key': apiKey});
			expect(scope).toMatch(/^[\da-f]{32}$/);
			expect(scope).not.toContain(apiKey);
			expect(await keyScope(new Headers([['X-Api-Key', apiKey]]))).toBe(scope);
			expect(await keyScope([['x-api-key', apiKey]])).toBe(scope);
		}));
	});

	it('differs between distinct keys', async () => {
		await fc.assert(fc.asyncProperty(anyKey, anyKey, async (first, second) => {
			fc.pre(first !== second);
			expect(await keyScope({'x-api-key': first})).not.toBe(await keyScope({'x-api-key': second}));
		}));
	});
});
