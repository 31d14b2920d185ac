import ky, {HTTPError, type KyInstance, type Options} from 'ky';
import {describe, expect, it} from 'vitest';
import {isKnoudsError, knoudsRetry} from '../src/index.js';
import {secretKey} from './support/http.js';

// Each behaviour is checked on plain ky and on the wrapped client alike: what holds for one holds for the other.

const url = 'https://api.knouds.test/v1/models/flux/run';

const answer = (status: number, body: string | Uint8Array<ArrayBuffer>, headers: Record<string, string> = {}): NonNullable<Options['fetch']> =>
	async () => new Response(body, {status, headers});

const errorOf = async (client: KyInstance, options: Options = {}): Promise<HTTPError> => {
	const error: unknown = await client.post(url, {json: {inputs: {}}, ...options}).catch((error_: unknown) => error_);
	expect(error).toBeInstanceOf(HTTPError);
	return error as HTTPError;
};

const pair = (options: Options): Array<[string, KyInstance]> => [
	['plain ky', ky.create({retry: 0, ...options})],
	['knoudsRetry(ky)', knoudsRetry(ky.create(options), {random: () => 0})],
];

describe('HTTPError#data, as ky makes it', () => {
	it.each([
		['JSON it parses', 403, '{"error":"denied","code":"MODEL_TIER_REQUIRED"}', 'application/json', {error: 'denied', code: 'MODEL_TIER_REQUIRED'}],
		['JSON that fails to parse as undefined', 403, '{"error":"denied", "co', 'application/json', undefined],
		['a JSON-looking text/plain body as text', 403, '{"error":"denied"}', 'text/plain', '{"error":"denied"}'],
		['a latin-1 body decoded with its charset', 400, new Uint8Array([0x63, 0x61, 0x66, 0xE9]), 'text/plain; charset=iso-8859-1', 'café'],
		['an empty body as undefined', 403, '', 'application/json', undefined],
	] as const)('gives %s', async (_name, status, body, type, expected) => {
		for (const [, client] of pair({fetch: answer(status, body, {'content-type': type})})) {
			expect((await errorOf(client)).data).toEqual(expected);
		}
	});

	it('uses the client\'s parseJson, given its context, for the error body', async () => {
		const seen: unknown[] = [];
		const parseJson = (text: string, context: {request: Request; response: Response}): unknown => {
			seen.push(context.response.status);
			return {parsed: text.length};
		};

		for (const [, client] of pair({parseJson, fetch: answer(403, '{"code":"MODEL_TIER_REQUIRED"}', {'content-type': 'application/json'})})) {
			expect((await errorOf(client)).data).toEqual({parsed: 30});
		}

		expect(seen).toEqual([403, 403]);
	});

	it('still classifies the wrapped client\'s error by its Knouds code when parseJson reshapes data', async () => {
		const wrapped = knoudsRetry(ky.create({parseJson: () => 'reshaped', fetch: answer(403, '{"error":"no","code":"MODEL_TIER_REQUIRED"}', {'content-type': 'application/json'})}));
		const error = await errorOf(wrapped);
		expect(isKnoudsError(error, 'MODEL_TIER_REQUIRED')).toBe(true);
		expect(error.data).toBe('reshaped');
	});
});

describe('the message, as ky makes it', () => {
	it('starts with ky\'s own message, word for word', async () => {
		const fetch: Options['fetch'] = async () => new Response('{"error":"bad","code":"INVALID_INPUTS"}', {status: 400, statusText: 'Bad Request', headers: {'content-type': 'application/json'}});
		const [plain, wrapped] = pair({fetch}).map(([, client]) => client) as [KyInstance, KyInstance];
		const kyMessage = (await errorOf(plain)).message;
		expect(kyMessage).toBe(`Request failed with status code 400 Bad Request: POST ${url}`);
		const message = (await errorOf(wrapped)).message;
		expect(message.startsWith(`${kyMessage} — Knouds INVALID_INPUTS: bad. `)).toBe(true);
	});
});

describe('error.options', () => {
	it('keeps the call\'s context and body, and only the credentials are redacted', async () => {
		const options: Options = {context: {jobId: 'job-7'}, headers: {'x-api-key': secretKey}, fetch: answer(403, '{"code":"MODEL_TIER_REQUIRED"}')};
		for (const [, client] of pair(options)) {
			const error = await errorOf(client);
			expect(error.options.context).toEqual({jobId: 'job-7'});
			expect(error.options.body).toBe('{"inputs":{}}');
		}

		const wrapped = await errorOf(knoudsRetry(ky.create(options)));
		expect(new Headers(wrapped.options.headers).get('x-api-key')).toBe('[REDACTED]');
	});
});
