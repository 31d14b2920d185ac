import {describe, expect, it} from 'vitest';
import {KnoudsError} from '../src/index.js';

// toJSON() previews a body whose JSON is past 2,048 characters in at most 500 characters of its text. A
// binary answer read as text (an image or an archive a proxy sent instead of JSON) is short as text but
// long as JSON, each control character taking six: its preview can be the whole text.
const binary = (length: number): string => Array.from({length}, (_, index) => String.fromCodePoint(1 + (index % 31))).join('');

const previewOf = (text: string): unknown => new KnoudsError(new Response(text, {status: 502}), {body: text}).toJSON()['bodyPreview'];

describe('the preview of a body too large to log whole', () => {
	it('shows a text of exactly 500 characters whole, without an ellipsis in place of its last character', () => {
		const text = binary(500);
		expect(JSON.stringify(text).length).toBeGreaterThan(2048);
		expect(previewOf(text)).toBe(text);
	});

	it('cuts a text of 501 characters to 499 and an ellipsis', () => {
		const text = binary(501);
		expect(previewOf(text)).toBe(`${text.slice(0, 499)}…`);
	});
});
