import {redacted} from './secret-names.js';

// Deep enough for what a call's context or body holds; anything deeper is kept as it is.
const maxDepth = 4;

const isPlain = (value: object): boolean => {
	const prototype: unknown = Object.getPrototypeOf(value);
	return prototype === Object.prototype || prototype === null;
};

/**
A copy of a value with every occurrence of the given credentials replaced by `[REDACTED]`, in strings,
and in the strings of plain objects and arrays down to four levels. Anything else (a stream, a class
instance) is kept as it is. For what ky's options keep of a call (its `context`, its `body`): they are
the caller's own data, kept whole but for a credential the call also sent.
*/
export const redactValues = (value: unknown, secrets: readonly string[], depth = 0): unknown => {
	if (secrets.length === 0) {
		return value;
	}

	if (typeof value === 'string') {
		return secrets.reduce((text, secret) => secret.length >= 4 ? text.replaceAll(secret, redacted) : text, value);
	}

	if (typeof value !== 'object' || value === null || depth >= maxDepth || !(Array.isArray(value) || isPlain(value))) {
		return value;
	}

	if (Array.isArray(value)) {
		return value.map(item => redactValues(item, secrets, depth + 1));
	}

	return Object.fromEntries(Object.entries(value).map(([name, item]) => [name, redactValues(item, secrets, depth + 1)]));
};
