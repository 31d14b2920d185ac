import {describe, expect, it} from 'vitest';
import {isKnoudsError, KnoudsError, knoudsErrorCatalog, type KnoudsCode} from '../src/index.js';

const errorOf = (status: number, body: unknown): KnoudsError =>
	new KnoudsError(new Response(JSON.stringify(body), {status}), {body: JSON.stringify(body)});

const codes = Object.keys(knoudsErrorCatalog) as KnoudsCode[];

describe('isKnoudsError(error, code)', () => {
	it.each([
		['CAPABILITY_DENIED without `required`', 403, {error: 'denied', code: 'CAPABILITY_DENIED'}],
		['CAPABILITY_DENIED with a numeric `required`', 403, {error: 'denied', code: 'CAPABILITY_DENIED', required: 7}],
		['CAPABILITY_ABOVE_CEILING without `attempted`', 403, {error: 'above', code: 'CAPABILITY_ABOVE_CEILING'}],
		['PROVIDER_SUBMIT_FAILED without `providerStatus`', 500, {error: 'upstream', code: 'PROVIDER_SUBMIT_FAILED'}],
	])('matches %s, so that a chain of checks on the code does not miss it', (_name, status, body) => {
		const error = errorOf(status, body);
		expect(isKnoudsError(error, body.code as KnoudsCode)).toBe(true);
	});

	it('matches exactly one code for every documented code, and none for a different one', () => {
		for (const code of codes) {
			const error = errorOf(knoudsErrorCatalog[code].status, {error: 'x', code});
			expect(codes.filter(other => isKnoudsError(error, other))).toEqual([code]);
		}
	});

	it('matches no code for a codeless 401, an undocumented code or a code in another case', () => {
		for (const body of [{error: 'no key'}, {error: 'new', code: 'BRAND_NEW'}, {error: 'x', code: 'GRANT_EXHAUSTED'}]) {
			const error = errorOf(402, body);
			expect(isKnoudsError(error)).toBe(true);
			expect(codes.some(code => isKnoudsError(error, code))).toBe(false);
		}
	});

	it('is false for anything that is not a KnoudsError, with or without a code', () => {
		for (const value of [undefined, null, 'CAPABILITY_DENIED', new Error('x'), {code: 'CAPABILITY_DENIED', status: 403}]) {
			expect(isKnoudsError(value)).toBe(false);
			expect(isKnoudsError(value, 'CAPABILITY_DENIED')).toBe(false);
		}
	});
});

describe('KnoudsError.toJSON with a wide body', () => {
	it('previews a wide error body (100,001 small objects, 300 KB) by its text, not as a value nested too deep', () => {
		const body = JSON.stringify(Array.from({length: 100_001}, () => ({})));
		const error = new KnoudsError(new Response(null, {status: 500}), {body});
		expect(error.toJSON()).toMatchObject({bodyPreview: `${body.slice(0, 499)}…`});
	});
});
