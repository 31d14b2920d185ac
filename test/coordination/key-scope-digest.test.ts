import {createHash} from 'node:crypto';
import {describe, expect, it, vi} from 'vitest';

// The scope names a key's shared state in a store that processes, and versions of this package, may
// share: it must be the same digest everywhere, and hashing must not grow without end in a long-lived client.

const url = 'https://api.knouds.test/v1/models/flux/run';
// What is hashed: the origin, then each credential header the request carries, as `name:value` lines.
const expected = (key: string | undefined): string => createHash('sha256').update(`knouds-retry:https://api.knouds.test${key === undefined ? '' : `\nx-api-key:${key}`}`).digest('hex').slice(0, 32);

/** A fresh copy of the module, with an empty cache, and a count of the digests it computes. */
const fresh = async () => {
	vi.resetModules();
	const digest = vi.spyOn(crypto.subtle, 'digest');
	const {keyScope} = await import('../../src/coordination/key-scope.js');
	return {keyScope, digests: () => digest.mock.calls.length};
};

describe('keyScope digest', () => {
	it('is the first 32 hex digits of the SHA-256 of the origin and the key, so that every process sharing a store agrees', async () => {
		const {keyScope} = await fresh();
		for (const key of ['kn_live_3f9a1c7e5b2d4f6a8c0e', 'kn_test_x', '', 'kn_é']) {
			expect(await keyScope({'x-api-key': key}, url), key).toBe(expected(key));
		}

		expect(await keyScope({}, url)).toBe(expected(undefined));
	});

	it('keeps leading zeros of each byte, so that no scope is shorter or shared by two keys', async () => {
		const {keyScope} = await fresh();
		// Keys whose digest has a byte below 0x10 within the first 16 bytes.
		const keys = Array.from({length: 200}, (_, index) => `kn_${index}`).filter(key => /^(?:..)*0/.test(expected(key)));
		expect(keys.length).toBeGreaterThan(0);
		for (const key of keys) {
			expect(await keyScope({'x-api-key': key}, url)).toBe(expected(key));
		}
	});
});

describe('keyScope without Web Crypto', () => {
	it('latches on a plain-http browser page too, where crypto.subtle does not exist: the same digest, computed without it', async () => {
		vi.resetModules();
		// A page on a plain-http origin has crypto.getRandomValues but no crypto.subtle.
		vi.stubGlobal('crypto', {getRandomValues: crypto.getRandomValues.bind(crypto)});
		try {
			const {keyScope} = await import('../../src/coordination/key-scope.js');
			for (const key of ['kn_live_3f9a1c7e5b2d4f6a8c0e', '', 'kn_é']) {
				expect(await keyScope({'x-api-key': key}, url), key).toBe(expected(key));
			}
		} finally {
			vi.unstubAllGlobals();
		}
	});

	it('needs no crypto global at all', async () => {
		vi.resetModules();
		vi.stubGlobal('crypto', undefined);
		try {
			const {keyScope} = await import('../../src/coordination/key-scope.js');
			expect(await keyScope({'x-api-key': 'kn_test_x'}, url)).toBe(expected('kn_test_x'));
		} finally {
			vi.unstubAllGlobals();
		}
	});
});

describe('keyScope cache', () => {
	it('hashes a key once, however many attempts ask', async () => {
		const {keyScope, digests} = await fresh();
		await Promise.all(Array.from({length: 10}, async () => keyScope({'x-api-key': 'kn_once'}, url)));
		expect(digests()).toBe(1);
	});

	it('holds 256 keys, and starts afresh at the 257th, so that a client rotating keys stays small', async () => {
		const {keyScope, digests} = await fresh();
		await keyScope({'x-api-key': 'kn_first'}, url);
		for (let index = 1; index < 256; index++) {
			await keyScope({'x-api-key': `kn_other_${index}`}, url);
		}

		expect(digests()).toBe(256);
		await keyScope({'x-api-key': 'kn_first'}, url);
		expect(digests()).toBe(256);
		await keyScope({'x-api-key': 'kn_257th'}, url);
		await keyScope({'x-api-key': 'kn_first'}, url);
		expect(digests()).toBe(258);
	});
});
