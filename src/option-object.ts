import {didYouMean} from './did-you-mean.js';
import {fail} from './validate.js';

/**
Whether a value is a plain object, as an options object must be: an object literal or
`Object.create(null)`, from this realm or another. Not an array, a Map or a class instance, whose
settings would not be where an option is read from.
*/
export const isPlainObject = (value: unknown): value is Record<string, unknown> => {
	if (typeof value !== 'object' || value === null || Object.prototype.toString.call(value) !== '[object Object]') {
		return false;
	}

	const prototype = Object.getPrototypeOf(value) as object | null;
	return prototype === null || Object.getPrototypeOf(prototype) === null;
};

const kindOf = (value: object): string => {
	const name = (Object.getPrototypeOf(value) as {constructor?: {name?: unknown}} | null)?.constructor?.name;
	return typeof name === 'string' && name !== '' ? `an instance of ${name}` : 'an exotic object';
};

/**
Checks that an option is a plain object.

@param expected - What the option should be, for the message.
@throws {TypeError} Naming the option and what it got: a Map, say, whose entries would otherwise be ignored without a word.
*/
export function expectPlainObject(name: string, value: unknown, expected: string): asserts value is Record<string, unknown> {
	if (typeof value !== 'object' || value === null || Array.isArray(value)) {
		fail(name, expected, value);
	}

	if (!isPlainObject(value)) {
		fail(name, expected, value, `is ${kindOf(value)}, not a plain object${value instanceof Map ? ' (a Map\'s entries are not read as settings)' : ''}`);
	}
}

/**
Checks that an option object has only known keys, so that a misspelt setting is refused instead of
being ignored.

@param what - What each key is, for the message: `a setting of \`retryBudget\``, `a latch`.
@throws {TypeError} Naming the unknown key, the closest known one when it looks like a typo, and every known one.
*/
export const expectKnownKeys = (name: string, value: object, known: readonly string[], what: string): void => {
	for (const key of Object.keys(value)) {
		if (!known.includes(key)) {
			fail(`${name}.${key}`, `one of ${known.map(candidate => `\`${candidate}\``).join(', ')}`, key, `is not ${what}${didYouMean(key, known)}`);
		}
	}
};
