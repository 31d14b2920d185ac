import {redactUrl} from './redact-url.js';
import {redacted} from './secret-names.js';

// Shorter values would match ordinary words of a message; no credential is that short.
const shortest = 4;
// A piece of a value between line breaks or spaces: long enough to be a key on its own.
const shortestPiece = 8;

// Control characters: a header value cannot carry them (tab aside), and fetch refuses a key pasted
// with a newline by quoting it.
const isControl = (code: number): boolean => code < 0x20 || code === 0x7F;
const forbiddenInHeader = (text: string): boolean => {
	for (const char of text) {
		if (char !== '\t' && isControl(char.charCodeAt(0))) {
			return true;
		}
	}

	return false;
};

// Splits a value at whitespace and control characters.
const piecesOf = (value: string): string[] => {
	const pieces: string[] = [];
	let piece = '';
	for (const char of value) {
		if (char === ' ' || isControl(char.charCodeAt(0))) {
			pieces.push(piece);
			piece = '';
		} else {
			piece += char;
		}
	}

	return [...pieces, piece];
};

// The forms a value takes in an error's text: as given, trimmed of the whitespace fetch strips from a
// header value, JSON-escaped (as a message that quotes it may show a newline), and its long pieces.
const formsOf = (value: string): string[] => [
	value,
	value.replace(/^[\t\n\r ]+|[\t\n\r ]+$/g, ''),
	JSON.stringify(value).slice(1, -1),
	...piecesOf(value).filter(piece => piece.length >= shortestPiece),
];

// fetch refuses a header value by quoting it whole, without naming the header: `Headers.append: "…" is
// an invalid header value.` Any header could be the key, even one set on a ky client whose options this
// layer never sees, so the quoted value is redacted whatever it is.
const invalidHeaderValue = /(Headers\.\w+: )"[\s\S]*"( is an invalid header value)/g;

type Redactor = {
	readonly text: (text: string) => string;
	/** Whether the text is fetch's refusal of a header value, or quotes a value with a character no header can carry. */
	readonly forbidden: (text: string) => boolean;
};

const redactorFor = (secrets: readonly string[]): Redactor => {
	// Longest first, so that a value is replaced whole before any piece of it.
	const forms = [...new Set(secrets.flatMap(secret => formsOf(secret)))].filter(form => form.length >= shortest && form !== redacted).sort((a, b) => b.length - a.length);
	const found = (text: string): string[] => forms.filter(form => text.includes(form));
	return {
		text: text => found(text).reduce((result, form) => result.replaceAll(form, redacted), redactUrl(text))
			.replaceAll(invalidHeaderValue, `$1"${redacted}"$2`),
		forbidden: text => new RegExp(invalidHeaderValue.source).test(text) || found(text).some(form => forbiddenInHeader(form)),
	};
};

const hint = ' (Redacted: a header value of this request holds a line break or another character no header can carry; check the API key for a stray newline.)';

// Sets a property the way the error had it, or reports that it cannot (a frozen error).
const define = (target: object, name: string, value: string): boolean => {
	const own = Object.getOwnPropertyDescriptor(target, name);
	try {
		Object.defineProperty(target, name, {value, writable: true, enumerable: own?.enumerable ?? false, configurable: true});
		return true;
	} catch {
		return false;
	}
};

const isObject = (value: unknown): value is object => typeof value === 'object' && value !== null;

// Redacts one error's own text in place (message, stack, any other own string such as Node's `input`),
// then its causes. Reports false when something that needed redacting could not be changed.
const redactInPlace = (error: object, redactor: Redactor, depth: number): boolean => {
	if (depth > 4) {
		return true;
	}

	let done = true;
	const record = error as Record<string, unknown>;
	const message = record['message'];
	// Said once, though an error may pass here again on its way out (the engine, then ky's hook).
	const note = typeof message === 'string' && !message.includes(hint) && redactor.forbidden(message) ? hint : '';
	// The stack first: V8 writes it out when first read, with the message of that moment, which must not
	// yet carry the note the stack is given below.
	const names = new Set(['stack', 'message', ...Object.getOwnPropertyNames(error)]);
	for (const name of names) {
		// A DOMException's message and an Error's stack are accessors: read them, and set a plain value.
		let value: unknown;
		try {
			value = record[name];
		} catch {
			continue;
		}

		if (typeof value === 'string') {
			let result = redactor.text(value);
			if (note !== '' && name === 'message') {
				result += note;
			} else if (note !== '' && name === 'stack' && typeof message === 'string') {
				// The stack begins with the message: it keeps doing so.
				const head = redactor.text(message);
				result = result.replace(head, () => `${head}${note}`);
			}

			if (result !== value) {
				done = define(error, name, result) && done;
			}
		} else if (name === 'cause' && isObject(value)) {
			done = redactInPlace(value, redactor, depth + 1) && done;
		} else if (name === 'errors' && Array.isArray(value)) {
			for (const item of value as unknown[]) {
				done = (!isObject(item) || redactInPlace(item, redactor, depth + 1)) && done;
			}
		}
	}

	return done;
};

/**
Makes an error safe to hand to the caller: every credential value given, and every credential in a
URL its text quotes (see `redactUrl`), is replaced by `[REDACTED]` in its message, its stack, its other
own strings and those of its causes; so is the value fetch quotes when it refuses a header value (a key
pasted with a newline), whichever header it was, and the message then says what to check.

The error is changed in place, so that it stays the same object of the same class (a TypeError stays a
TypeError, and is the one an `onRetry` event already showed). A frozen error is replaced by a new
`TypeError` or `Error` with the redacted message. Any other thrown value is returned as it is, a string
redacted.

@param secrets - The credential values the call carries; see `secretsOfCall`.
*/
export const redactError = (error: unknown, secrets: readonly string[]): unknown => {
	if (typeof error === 'string') {
		return redactorFor(secrets).text(error);
	}

	if (!isObject(error)) {
		return error;
	}

	const redactor = redactorFor(secrets);
	if (redactInPlace(error, redactor, 0)) {
		return error;
	}

	const {message, name} = error as Partial<Error>;
	const text = typeof message === 'string' ? redactor.text(message) : redacted;
	const copy = error instanceof TypeError ? new TypeError(text) : new Error(text);
	copy.name = typeof name === 'string' ? name : copy.name;
	return copy;
};
