import {secretsInUrl} from './redact-url.js';
import {isSecretParameter, secretHeaders} from './secret-names.js';

type Pair = readonly [name: unknown, value: unknown];

const isIterable = (value: object): value is Iterable<unknown> => typeof (value as Partial<Iterable<unknown>>)[Symbol.iterator] === 'function';

// Name-value pairs as fetch and ky take them: a Headers or URLSearchParams, an array of pairs, or a
// record. Read without `new Headers()`: the value it would refuse is the one to find.
const pairsOf = (value: unknown): Pair[] => {
	if (typeof value !== 'object' || value === null) {
		return [];
	}

	try {
		return isIterable(value) ? [...value].filter((pair): pair is Pair => Array.isArray(pair) && pair.length >= 2) : Object.entries(value);
	} catch {
		// An iterator or a getter that throws: the call fails for that reason, with nothing of it to redact.
		return [];
	}
};

const asText = (value: unknown): string | undefined =>
	typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'bigint' ? String(value) : undefined;

const valuesNamed = (pairs: readonly Pair[], isSecret: (name: string) => boolean): string[] =>
	pairs.flatMap(([name, value]) => {
		const text = asText(value);
		return typeof name === 'string' && text !== undefined && isSecret(name) ? [text] : [];
	});

const isRequest = (value: unknown): value is Request =>
	value instanceof Request || Object.prototype.toString.call(value) === '[object Request]';

const urlOf = (value: unknown): string | undefined => typeof value === 'string' ? value : value instanceof URL ? value.href : undefined;

/**
The credential values a call's arguments carry, read from them as given (fetch's `input` and `init`, or
ky's `input` and options): its credential headers (`x-api-key`, `authorization`,
`proxy-authorization`, `cookie`) and its query parameters named like credentials, in the URL or in
ky's `searchParams`, `baseUrl` and `prefix`. Nothing here throws, whatever the arguments hold.
*/
export const secretsOfCall = (input: unknown, init: unknown): string[] => {
	const secrets: string[] = [];
	const secretHeader = (name: string): boolean => secretHeaders.has(name.trim().toLowerCase());
	if (isRequest(input)) {
		secrets.push(...secretsInUrl(input.url), ...valuesNamed(pairsOf(input.headers), secretHeader));
	} else {
		secrets.push(...secretsInUrl(urlOf(input) ?? ''));
	}

	if (typeof init === 'object' && init !== null) {
		const {headers, searchParams, baseUrl, prefix} = init as Record<string, unknown>;
		secrets.push(...valuesNamed(pairsOf(headers), secretHeader));
		secrets.push(...typeof searchParams === 'string' ? secretsInUrl(`?${searchParams.replace(/^\?/, '')}`) : valuesNamed(pairsOf(searchParams), isSecretParameter));
		secrets.push(...secretsInUrl(urlOf(baseUrl) ?? ''), ...secretsInUrl(urlOf(prefix) ?? ''));
	}

	return secrets;
};
