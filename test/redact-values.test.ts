import fc from 'fast-check';
import type {NormalizedOptions} from 'ky';
import {describe, expect, it} from 'vitest';
import {KnoudsError} from '../src/index.js';
import {redactValues} from '../src/redact-values.js';

// A KnoudsError keeps the context and body of a ky call (the caller's own data) with every credential the
// call also sent redacted. A credential missed there is printed by whoever logs error.options; anything
// changed that was not a credential is data the caller loses.

const key = 'kn_live_SECRET-0123456789abcdef';

const errorWith = (options: Record<string, unknown>): KnoudsError => new KnoudsError(new Response('{}', {status: 500}), {
	request: new Request('https://api.knouds.test/v1/run', {headers: {'x-api-key': key}}),
	options: {headers: new Headers({'x-api-key': key}), ...options} as unknown as NormalizedOptions,
});

// A value nested `levels` objects deep, with `leaf` at the bottom.
const nested = (levels: number, leaf: unknown): unknown => levels === 0 ? leaf : {inner: nested(levels - 1, leaf)};

const leafOf = (value: unknown, levels: number): unknown => levels === 0 ? value : leafOf((value as {inner: unknown}).inner, levels - 1);

class Span {
	constructor(readonly traceId: string) {}
}

describe('redactValues, as KnoudsError keeps a call\'s context and body', () => {
	it('keeps a context the call sent no credential with as the caller\'s very object, symbol keys included', () => {
		const trace = Symbol('trace');
		const context = {job: 'job-7', [trace]: 'span-1'};
		const error = new KnoudsError(new Response('{}', {status: 500}), {
			request: new Request('https://api.knouds.test/v1/run'),
			options: {headers: new Headers(), context} as unknown as NormalizedOptions,
		});
		expect(error.options.context).toBe(context);
		expect(redactValues(context, [])).toBe(context);
		expect(redactValues([context], [])).toStrictEqual([context]);
	});

	it('redacts the key in the strings of arrays, and keeps them arrays', () => {
		const error = errorWith({context: {steps: [`key=${key}`, ['nested', key]], count: 2}});
		expect(error.options.context).toStrictEqual({steps: ['key=[REDACTED]', ['nested', '[REDACTED]']], count: 2});
	});

	it('redacts the key in an object without a prototype, as Object.create(null) makes it', () => {
		const context = Object.assign(Object.create(null) as object, {auth: key});
		expect(errorWith({context}).options.context).toStrictEqual({auth: '[REDACTED]'});
	});

	it('keeps a class instance, a Date and a Map in the context as they are, not flattened into plain objects', () => {
		const span = new Span(key);
		const when = new Date(0);
		const seen = new Map([['key', key]]);
		const context = errorWith({context: {span, when, seen}}).options.context;
		expect(context['span']).toBe(span);
		expect(context['when']).toBe(when);
		expect(context['seen']).toBe(seen);
	});

	it('redacts down to four levels of nesting and keeps what is deeper as it is', () => {
		const context = errorWith({context: {level1: nested(3, key), level2: nested(4, key)}}).options.context;
		expect(leafOf(context['level1'], 3)).toBe('[REDACTED]');
		expect(leafOf(context['level2'], 4)).toBe(key);
		expect(redactValues([[[[key]]]], [key])).toStrictEqual([[[['[REDACTED]']]]]);
		expect(redactValues([[[[[key]]]]], [key])).toStrictEqual([[[[[key]]]]]);
	});

	it('does not overflow the stack on a context or body that refers to itself', () => {
		const context: Record<string, unknown> = {auth: key};
		context['self'] = context;
		const body: unknown[] = [key];
		body.push(body);
		const error = errorWith({context, body});
		expect(error.options.context['auth']).toBe('[REDACTED]');
		expect((error.options.body as unknown[])[0]).toBe('[REDACTED]');
	});

	it('leaves strings alone for a credential shorter than four characters, which would garble ordinary words', () => {
		expect(redactValues({note: 'abc abcd'}, ['abc', '', 'x'])).toStrictEqual({note: 'abc abcd'});
		expect(redactValues({note: 'abc abcd'}, ['abcd'])).toStrictEqual({note: 'abc [REDACTED]'});
	});

	it('leaves every JSON value that does not hold the credential equal to what it was, and removes the credential from every one that does', () => {
		const secret = fc.stringMatching(/^[a-z\d]{4,12}$/);
		const value = fc.jsonValue({maxDepth: 3});
		const strings = (item: unknown): string[] => typeof item === 'string' ? [item] : typeof item === 'object' && item !== null ? Object.values(item).flatMap(strings) : [];
		fc.assert(fc.property(value, secret, (json, credential) => {
			fc.pre(!JSON.stringify(json).includes(credential));
			expect(redactValues(json, [credential])).toStrictEqual(json);
		}));
		// Every string of the value with the credential written into it.
		const plant = (item: unknown, credential: string): unknown => typeof item === 'string'
			? `${item}${credential}${item}`
			: Array.isArray(item) ? item.map(element => plant(element, credential))
				: typeof item === 'object' && item !== null ? Object.fromEntries(Object.entries(item).map(([name, element]) => [name, plant(element, credential)])) : item;
		fc.assert(fc.property(value, secret, (json, credential) => {
			expect(strings(redactValues(plant(json, credential), [credential])).some(text => text.includes(credential))).toBe(false);
		}));
	});
});
