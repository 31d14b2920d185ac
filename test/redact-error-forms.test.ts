import {inspect} from 'node:util';
import {describe, expect, it} from 'vitest';
import {explain} from '../src/errors/message.js';
import {redactError} from '../src/redact-error.js';

// Every form in which a key can reach an error's text is redacted, and nothing else is: a key pasted
// with stray whitespace or a newline, quoted JSON-escaped, split across lines, deep in a cause chain.

const hint = ' (Redacted: a header value of this request holds a line break or another character no header can carry; check the API key for a stray newline.)';

const redacted = (text: string, secrets: string[]): string => {
	const error = new Error(text);
	redactError(error, secrets);
	return error.message;
};

describe('the forms of a key that are redacted', () => {
	it('redacts a key trimmed of the whitespace fetch strips, however much of it there was', () => {
		const pasted = '\n\n \tkn_a b\r\n ';
		expect(redacted('key kn_a b refused', [pasted])).toBe('key [REDACTED] refused');
		expect(redacted('key kn_a b refused', ['kn_a b\n\n'])).toBe('key [REDACTED] refused');
		expect(redacted('key kn_a b refused', ['  kn_a b'])).toBe('key [REDACTED] refused');
	});

	it('redacts a key quoted JSON-escaped', () => {
		expect(redacted(String.raw`bad "kn_\"x\"y"`, ['kn_"x"y'])).toBe('bad "[REDACTED]"');
	});

	it('redacts a piece of a key between line breaks or spaces from eight characters on, and leaves shorter pieces alone', () => {
		const key = 'abcdefgh\n1234567';
		expect(redacted('first abcdefgh', [key])).toBe('first [REDACTED]');
		expect(redacted('second 1234567', [key])).toBe('second 1234567');
	});

	it('redacts a value from four characters on, and leaves shorter ones alone', () => {
		expect(redacted('token abcd', ['abcd'])).toBe('token [REDACTED]');
		expect(redacted('token abc', ['abc'])).toBe('token abc');
	});

	it('replaces a longer key whole before a shorter one it starts with', () => {
		expect(redacted('keys kn_live_abcdef and kn_live_abc', ['kn_live_abc', 'kn_live_abcdef'])).toBe('keys [REDACTED] and [REDACTED]');
	});
});

describe('the hint for a key no header can carry', () => {
	it('is added when the message quotes a key with a control character', () => {
		expect(redacted('Request with kn_live_abc\u007Fdef failed', ['kn_live_abc\u007Fdef'])).toBe(`Request with [REDACTED] failed${hint}`);
		expect(redacted('Request with kn_live_abc\u001Fdef failed', ['kn_live_abc\u001Fdef'])).toBe(`Request with [REDACTED] failed${hint}`);
	});

	it('is not added for a tab or a space, which a header value may hold', () => {
		expect(redacted('Request with kn_live_abc\tdef failed', ['kn_live_abc\tdef'])).toBe('Request with [REDACTED] failed');
		expect(redacted('Request with kn_live_abc def failed', ['kn_live_abc def'])).toBe('Request with [REDACTED] failed');
	});

	it('goes on the message and at the same place in the stack, not on other strings', () => {
		const error = Object.assign(new TypeError('bad kn_live_\nabcdefgh'), {input: 'kn_live_\nabcdefgh'});
		redactError(error, ['kn_live_\nabcdefgh']);
		expect(error.message).toBe(`bad [REDACTED]${hint}`);
		// Once: the stack was never read before, so it is written out when first read, from the message.
		expect(error.stack?.split('\n')[0]).toBe(`TypeError: bad [REDACTED]${hint}`);
		expect(error.input).toBe('[REDACTED]');
	});
});

describe('what is changed, and how', () => {
	it('keeps each property as enumerable as it was', () => {
		const error = Object.assign(new Error('has kn_live_secret'), {input: 'kn_live_secret'});
		redactError(error, ['kn_live_secret']);
		expect(Object.getOwnPropertyDescriptor(error, 'input')?.enumerable).toBe(true);
		expect(Object.getOwnPropertyDescriptor(error, 'message')?.enumerable).toBe(false);
		expect(Object.keys(error)).toEqual(['input']);
	});

	it('can redact the same error again, as the engine and then ky\'s hook do, and it stays the same error', () => {
		const error = new TypeError('has kn_live_first and kn_live_second');
		expect(redactError(error, ['kn_live_first'])).toBe(error);
		expect(redactError(error, ['kn_live_second'])).toBe(error);
		expect(error.message).toBe('has [REDACTED] and [REDACTED]');
	});

	it('returns a frozen error that needs nothing redacted as it is', () => {
		const error = Object.freeze(new Error('nothing secret here'));
		expect(redactError(error, ['kn_live_secret'])).toBe(error);
	});

	it('redacts causes five deep, and stops below', () => {
		let error = new Error('level 6 kn_live_secret');
		const chain = [error];
		for (let level = 5; level >= 0; level--) {
			error = new Error(`level ${level} kn_live_secret`, {cause: error});
			chain.unshift(error);
		}

		redactError(chain[0], ['kn_live_secret']);
		expect(chain.slice(0, 5).map(item => item.message)).toEqual([0, 1, 2, 3, 4].map(level => `level ${level} [REDACTED]`));
		expect(chain[6]?.message).toBe('level 6 kn_live_secret');
	});

	it('redacts every error of an AggregateError, passing over what is not an error', () => {
		const inner = new Error('connect kn_live_secret');
		const error = new AggregateError([inner, 'kn_live_secret', null], 'all failed');
		expect(redactError(error, ['kn_live_secret'])).toBe(error);
		expect(inner.message).toBe('connect [REDACTED]');
	});

	it('replaces the error when a frozen cause cannot be changed', () => {
		const cause = Object.freeze(new Error('kn_live_secret'));
		const error = new TypeError('fetch failed', {cause});
		const result = redactError(error, ['kn_live_secret']) as Error;
		expect(result).not.toBe(error);
		expect(result).toBeInstanceOf(TypeError);
		expect(result.message).toBe('fetch failed');
	});

	it('passes null, undefined and numbers through as they are', () => {
		expect(redactError(null, ['kn_live_secret'])).toBeNull();
		expect(redactError(undefined, ['kn_live_secret'])).toBeUndefined();
		expect(redactError(7, ['kn_live_secret'])).toBe(7);
	});
});

describe('a redacted error, to the code that handles it next', () => {
	it('does not gain an enumerable message: a logger that spreads or serialises the error prints what it did before', () => {
		const error = new DOMException('timed out on https://api.test/?token=kn_live_secret', 'TimeoutError');
		const before = JSON.stringify(error);
		redactError(error, []);
		expect(error.message).toBe('timed out on https://api.test/?token=[REDACTED]');
		expect(Object.keys(error)).toEqual([]);
		expect(JSON.stringify(error)).toBe(before);
	});

	it('keeps its message writable, so that a later layer can reword it', () => {
		const error = new TypeError('bad kn_live_secret');
		redactError(error, ['kn_live_secret']);
		error.message = 'reworded';
		expect(error.message).toBe('reworded');
	});

	it('can still be given the library\'s explanation of why it was not resent', () => {
		const error = new TypeError('fetch failed for kn_live_secret');
		redactError(error, ['kn_live_secret']);
		explain(error, 'Not resent: the POST may have reached the server.');
		expect(error.message).toBe('fetch failed for [REDACTED] Not resent: the POST may have reached the server.');
	});

	it('stays the same error when its cause chain runs deeper than redaction goes', () => {
		let error = new Error('level 9 kn_live_secret');
		for (let level = 8; level >= 0; level--) {
			error = new Error(`level ${level} kn_live_secret`, {cause: error});
		}

		expect(redactError(error, ['kn_live_secret'])).toBe(error);
		expect(error.message).toBe('level 0 [REDACTED]');
	});

	it('is still redacted when one of its own properties throws on being read', () => {
		const error = new Error('bad kn_live_secret');
		Object.defineProperty(error, 'details', {
			get() {
				throw new Error('not readable');
			},
			enumerable: true,
		});
		expect(redactError(error, ['kn_live_secret'])).toBe(error);
		expect(error.message).toBe('bad [REDACTED]');
	});
});

describe('what redaction reaches, and what it leaves alone', () => {
	it('puts the hint on the message and the stack only, not on another own string that quotes the message', () => {
		const text = 'Headers.append: "kn_live_\nabcdefgh" is an invalid header value.';
		const error = Object.assign(new TypeError(text), {detail: `while sending: ${text}`});
		redactError(error, []);
		expect(error.message).toBe(`Headers.append: "[REDACTED]" is an invalid header value.${hint}`);
		expect(error.detail).toBe('while sending: Headers.append: "[REDACTED]" is an invalid header value.');
	});

	it('leaves the objects and arrays an error carries besides its causes as the caller gave them', () => {
		const payload = {token: 'kn_live_secret'};
		const attempts = [{message: 'sent kn_live_secret'}];
		const error = Object.assign(new Error('failed with kn_live_secret'), {payload, attempts});
		expect(redactError(error, ['kn_live_secret'])).toBe(error);
		expect(error.message).toBe('failed with [REDACTED]');
		expect(payload).toEqual({token: 'kn_live_secret'});
		expect(attempts).toEqual([{message: 'sent kn_live_secret'}]);
	});

	it('does not trip over an `errors` field that is not a list, as a validation error may carry', () => {
		const error = Object.assign(new Error('invalid kn_live_secret'), {errors: {field: 'required'}});
		expect(redactError(error, ['kn_live_secret'])).toBe(error);
		expect(error.message).toBe('invalid [REDACTED]');
		expect(error.errors).toEqual({field: 'required'});
	});

	it('replaces an AggregateError whose frozen inner error holds the key, so that the key does not leak through it', () => {
		const frozen = Object.freeze(new Error('connect kn_live_secret'));
		const error = new AggregateError([frozen, new Error('connect again')], 'all failed with kn_live_secret');
		const result = redactError(error, ['kn_live_secret']) as Error;
		expect(result).not.toBe(error);
		expect(result.message).toBe('all failed with [REDACTED]');
		expect(inspect(result, {showHidden: true, depth: 8})).not.toContain('kn_live_secret');
	});

	it('redacts an AggregateError that lists itself without overflowing the stack', () => {
		const error = new AggregateError([], 'all failed with kn_live_secret');
		error.errors.push(error);
		expect(redactError(error, ['kn_live_secret'])).toBe(error);
		expect(error.message).toBe('all failed with [REDACTED]');
	});
});
