import ky from 'ky';
import nock from 'nock';
import {describe, expect, it} from 'vitest';
import {createKnoudsFetch, isKnoudsError, knoudsRetry, toKnoudsError} from '../../../src/index.js';

const first = 'https://api.knouds.test';
const second = 'https://eu.knouds.test';

type Send = (url: string, headers: Record<string, string>) => Promise<number | string>;

// A call's status, or the stop reason of the KnoudsError it ended with.
const viaKy = (): Send => {
	const api = knoudsRetry(ky.create());
	return async (url, headers) => {
		try {
			return (await api.get(url, {headers})).status;
		} catch (error) {
			return isKnoudsError(error) ? `${error.status} ${error.stopReason ?? ''}` : String(error);
		}
	};
};

const viaFetch = (): Send => {
	const knoudsFetch = createKnoudsFetch();
	return async (url, headers) => {
		const response = await knoudsFetch(url, {headers});
		const error = await toKnoudsError(response);
		return error === undefined ? response.status : `${error.status} ${error.stopReason ?? ''}`;
	};
};

describe.each([['knoudsRetry(ky)', viaKy], ['createKnoudsFetch', viaFetch]] as const)('%s', (_name, make) => {
	it('holds later calls with the refused token to the same origin, and lets a refreshed token and another origin through', async () => {
		const scope = nock(first)
			.get('/me').matchHeader('authorization', 'Bearer old').reply(401, '')
			.get('/me').matchHeader('authorization', 'Bearer new').reply(200, {})
			.get('/other').matchHeader('authorization', 'Bearer new').reply(200, {});
		const elsewhere = nock(second).get('/me').matchHeader('authorization', 'Bearer old').reply(200, {});
		const send = make();
		expect(await send(`${first}/me`, {authorization: 'Bearer old'})).toBe('401 terminal');
		// The same refused token, to the same origin: held without a request (no interceptor is left for it).
		expect(await send(`${first}/other`, {authorization: 'Bearer old'})).toBe('401 latched');
		expect(await send(`${first}/me`, {authorization: 'Bearer new'})).toBe(200);
		expect(await send(`${first}/other`, {authorization: 'Bearer new'})).toBe(200);
		expect(await send(`${second}/me`, {authorization: 'Bearer old'})).toBe(200);
		expect(scope.isDone()).toBe(true);
		expect(elsewhere.isDone()).toBe(true);
	});
});
