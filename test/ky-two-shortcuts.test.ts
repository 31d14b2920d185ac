import ky, {type KyInstance, type Options} from 'ky';
import {describe, expect, it} from 'vitest';
import {knoudsRetry} from '../src/index.js';

// A second shortcut on the same call fails at once, as with plain ky: the first read used the body.
const answer: NonNullable<Options['fetch']> = async () => Response.json({ok: true});

const clients: Array<[string, () => KyInstance]> = [
	['plain ky', () => ky.create({fetch: answer, timeout: 1000})],
	['knoudsRetry(ky)', () => knoudsRetry(ky.create({fetch: answer, timeout: 1000}))],
];

describe.each(clients)('%s', (_name, make) => {
	it('fails a second shortcut on one call at once with the used body\'s TypeError, as plain ky does', async () => {
		const call = make().get('https://api.knouds.test/run');
		await expect(call.json()).resolves.toEqual({ok: true});
		const second = await call.text().then(text => ({text}), (error: unknown) => ({error: (error as Error).name}));
		expect(second).toEqual({error: 'TypeError'});
	});
});
