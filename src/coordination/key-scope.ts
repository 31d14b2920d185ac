import type {HeadersLike} from '../redact.js';
import {isSecretParameter, secretHeaders} from '../secret-names.js';

// Cached per key value: hashing is async and every attempt needs the scope. Bounded, since a client
// that rotates keys must not grow without end.
const cache = new Map<string, Promise<string>>();
const cacheLimit = 256;

const hex = (bytes: Uint8Array): string => [...bytes].map(byte => byte.toString(16).padStart(2, '0')).join('');

/**
SHA-256 of `bytes`: Web Crypto where the runtime has it, else a pure-JavaScript one, loaded only then.
`crypto.subtle` exists only in secure contexts, so a browser page on a plain-http origin (and a runtime
without Web Crypto) has none; the digest must be the same either way, since processes share a store.
*/
const sha256 = async (bytes: Uint8Array<ArrayBuffer>): Promise<Uint8Array> => {
	const subtle = (globalThis as {readonly crypto?: {readonly subtle?: typeof crypto.subtle}}).crypto?.subtle;
	if (subtle !== undefined) {
		return new Uint8Array(await subtle.digest('SHA-256', bytes));
	}

	const {sha256: digest} = await import('@noble/hashes/sha2.js');
	return digest(bytes);
};

const originOf = (url: string): string => {
	try {
		return new URL(url).origin;
	} catch {
		return '';
	}
};

// The credentials a request carries, and where it goes: headers as sent, and query parameters named as credentials.
const identityOf = (headers: HeadersLike, url: string): string => {
	const all = headers instanceof Headers ? headers : new Headers(headers);
	let identity = originOf(url);
	// Whichever credential header carries the credential a server refused: the ones redaction knows.
	for (const name of secretHeaders) {
		const value = all.get(name);
		if (value !== null) {
			identity += `\n${name}:${value}`;
		}
	}

	const query = url.indexOf('?');
	if (query !== -1) {
		for (const [name, value] of new URLSearchParams(url.slice(query + 1).split('#', 1)[0])) {
			if (isSecretParameter(name)) {
				identity += `\n?${name}=${value}`;
			}
		}
	}

	return identity;
};

/**
The scope of a request's latches: a SHA-256 digest of the origin it goes to and the credentials it
carries (the `x-api-key`, `Authorization`, `Proxy-Authorization` and `Cookie` headers, and query
parameters named as credentials), so that a store (even a shared one) never holds a credential. A dead
key latches calls with that credential to that origin only: a call with another credential (a refreshed
token, say) or to another origin is not held.
*/
export const keyScope = async (headers: HeadersLike, url: string): Promise<string> => {
	const identity = identityOf(headers, url);
	let scope = cache.get(identity);
	if (scope === undefined) {
		if (cache.size >= cacheLimit) {
			cache.clear();
		}

		scope = sha256(new TextEncoder().encode(`knouds-retry:${identity}`)).then(digest => hex(digest).slice(0, 32));
		cache.set(identity, scope);
	}

	return scope;
};
