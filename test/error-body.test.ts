import fc from 'fast-check';
import {describe, expect, it} from 'vitest';
import {errorBodyFromValue, parseErrorBody} from '../src/error-body.js';

const contextOf = (body: Record<string, unknown>) => parseErrorBody(JSON.stringify(body)).context;

describe('parseErrorBody on Knouds bodies', () => {
	it('reads code, message and context from a Knouds JSON body', () => {
		const text = '{"error":"Insufficient capability","code":"CAPABILITY_DENIED","required":"model:run"}';
		expect(parseErrorBody(text)).toEqual({
			code: 'CAPABILITY_DENIED',
			apiMessage: 'Insufficient capability',
			body: {error: 'Insufficient capability', code: 'CAPABILITY_DENIED', required: 'model:run'},
			truncated: false,
			context: {required: 'model:run'},
		});
	});

	it('reads a codeless body, as the API sends for a bad key', () => {
		expect(parseErrorBody('{"error":"Unauthorized"}')).toMatchObject({code: undefined, apiMessage: 'Unauthorized', context: {}});
	});

	it('keeps an unknown code string as it came', () => {
		expect(parseErrorBody('{"error":"x","code":"SOMETHING_NEW"}').code).toBe('SOMETHING_NEW');
	});

	it('ignores a code that is not a string', () => {
		expect(parseErrorBody('{"error":"x","code":429}')).toMatchObject({code: undefined, apiMessage: 'x'});
	});

	it('falls back to a message field when error is not a string', () => {
		expect(parseErrorBody('{"message":"Bad gateway"}').apiMessage).toBe('Bad gateway');
		expect(parseErrorBody('{"error":{"detail":"x"},"message":"Bad gateway"}').apiMessage).toBe('Bad gateway');
		expect(parseErrorBody('{"error":42}').apiMessage).toBeUndefined();
	});

	it('reads JSON surrounded by whitespace', () => {
		expect(parseErrorBody('\n  {"error":"x","code":"INVALID_BODY"}  \n').code).toBe('INVALID_BODY');
	});
});

describe('parseErrorBody context fields', () => {
	it('reads providerStatus as a number or a numeric string', () => {
		expect(contextOf({code: 'PROVIDER_SUBMIT_FAILED', providerStatus: 503})).toEqual({providerStatus: 503});
		expect(contextOf({code: 'PROVIDER_SUBMIT_FAILED', providerStatus: '422'})).toEqual({providerStatus: 422});
		expect(contextOf({code: 'PROVIDER_SUBMIT_FAILED', providerStatus: ' 429 '})).toEqual({providerStatus: 429});
	});

	it('reads every providerStatus from 100 to 599, the ends included', () => {
		for (const providerStatus of [100, 599, '100', '599']) {
			expect(contextOf({providerStatus}), JSON.stringify(providerStatus)).toEqual({providerStatus: Number(providerStatus)});
		}
	});

	it('reads a providerStatus string only when it is three digits, as a status line writes it', () => {
		for (const providerStatus of ['0503', '+503', '-503', '503.0', '503e0', '1503']) {
			expect(contextOf({providerStatus}), providerStatus).toEqual({});
		}
	});

	it('ignores a providerStatus that is not an HTTP status', () => {
		for (const providerStatus of [99, 600, 503.5, '5xx', '50', 'abc', null, true, [503]]) {
			expect(contextOf({providerStatus}), JSON.stringify(providerStatus)).toEqual({});
		}
	});

	it('keeps providerBody whatever its shape, even null', () => {
		expect(contextOf({providerBody: {detail: 'bad prompt'}})).toEqual({providerBody: {detail: 'bad prompt'}});
		expect(contextOf({providerBody: null})).toEqual({providerBody: null});
	});

	it('ignores a required field that is not a string', () => {
		expect(contextOf({code: 'CAPABILITY_DENIED', required: ['model:run']})).toEqual({});
		expect(contextOf({code: 'CAPABILITY_DENIED', required: 7})).toEqual({});
	});

	it('reads attempted as a string or an array of strings', () => {
		expect(contextOf({attempted: 'workflow:write'})).toEqual({attempted: 'workflow:write'});
		expect(contextOf({attempted: ['workflow:write', 'key:create']})).toEqual({attempted: ['workflow:write', 'key:create']});
	});

	it('ignores attempted when the array holds anything but strings', () => {
		expect(contextOf({attempted: ['workflow:write', 3]})).toEqual({});
		expect(contextOf({attempted: {verb: 'write'}})).toEqual({});
	});
});

describe('parseErrorBody on bodies the API did not write', () => {
	it('keeps an HTML proxy page as raw text', () => {
		const html = '<html><body><h1>502 Bad Gateway</h1></body></html>';
		expect(parseErrorBody(html)).toEqual({code: undefined, apiMessage: undefined, body: html, truncated: false, context: {}});
	});

	it('reads an empty, whitespace-only or missing body as no body', () => {
		for (const text of ['', '   \n\t', undefined]) {
			expect(parseErrorBody(text)).toEqual({code: undefined, apiMessage: undefined, body: undefined, truncated: false, context: {}});
		}
	});

	it('keeps a truncated JSON body as raw text and says it was truncated', () => {
		const cut = '{"error":"Provider call failed","code":"EXECU';
		expect(parseErrorBody(cut, true)).toEqual({code: undefined, apiMessage: undefined, body: cut, truncated: true, context: {}});
	});

	it('keeps a JSON array or string as the parsed value without a code', () => {
		expect(parseErrorBody('[{"code":"EXECUTION_FAILED"}]')).toMatchObject({code: undefined, body: [{code: 'EXECUTION_FAILED'}]});
		expect(parseErrorBody('"Service Unavailable"')).toMatchObject({code: undefined, apiMessage: undefined, body: 'Service Unavailable'});
		expect(parseErrorBody('null')).toMatchObject({code: undefined, body: null});
	});
});

describe('errorBodyFromValue', () => {
	it('reads an already-parsed Knouds object the same way as its text', () => {
		const value = {error: 'Too many requests', code: 'RATE_LIMIT_EXCEEDED'};
		expect(errorBodyFromValue(value)).toEqual(parseErrorBody(JSON.stringify(value)));
	});

	it('passes the truncated flag through for any value', () => {
		expect(errorBodyFromValue(42, true)).toEqual({code: undefined, apiMessage: undefined, body: 42, truncated: true, context: {}});
	});
});

describe('parseErrorBody properties', () => {
	const cutJson = fc.jsonValue().chain(value => {
		const text = JSON.stringify(value);
		return fc.nat({max: text.length}).map(end => text.slice(0, end));
	});

	it('never throws on arbitrary or cut-off text, and yields a string code or none', () => {
		fc.assert(fc.property(fc.oneof(fc.string(), fc.string({unit: 'binary'}), cutJson), fc.boolean(), (text, truncated) => {
			const result = parseErrorBody(text, truncated);
			expect(result.truncated).toBe(truncated);
			expect(['string', 'undefined']).toContain(typeof result.code);
			expect(['string', 'undefined']).toContain(typeof result.apiMessage);
		}));
	});

	it('returns any JSON value as its parsed body', () => {
		fc.assert(fc.property(fc.jsonValue(), value => {
			const text = JSON.stringify(value);
			expect(parseErrorBody(text).body).toEqual(JSON.parse(text) as unknown);
		}));
	});
});
