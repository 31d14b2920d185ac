import type {HeadersLike} from '../redact.js';

// Cached per key value: hashing is async and every attempt needs the scope. Bounded, since a client
// that rotates keys must not grow without end.
const cache = new Map<string, Promise<string>>();
const cacheLimit = 256;

const hex = (buffer: ArrayBuffer): string => [...new Uint8Array(buffer)].map(byte => byte.toString(16).padStart(2, '0')).join('');

/**
The scope of a request's shared state: a SHA-256 digest of its `x-api-key`, so that a store (even a
shared one) never holds the key itself. Knouds limits and dead keys are per key, not per client.
*/
export const keyScope = async (headers: HeadersLike): Promise<string> => {
	const key = (headers instanceof Headers ? headers : new Headers(headers)).get('x-api-key') ?? '';
	let scope = cache.get(key);
	if (scope === undefined) {
		if (cache.size >= cacheLimit) {
			cache.clear();
		}

		scope = crypto.subtle.digest('SHA-256', new TextEncoder().encode(`knouds-retry:${key}`)).then(digest => hex(digest).slice(0, 32));
		cache.set(key, scope);
	}

	return scope;
};
