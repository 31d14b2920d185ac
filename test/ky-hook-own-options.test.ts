import ky, {type KyInstance, type Options} from 'ky';
import {describe, expect, it, vi} from 'vitest';
import {knoudsRetry} from '../src/index.js';
import {useFakeClock} from './support/clock.js';

// ky leaves its own options (those a RequestInit has no use for) out of what it hands hooks as `options`.
// On a body-read timeout the wrapped client builds that object itself, and must leave out the same nine.
const kyOwnOptions = ['hooks', 'json', 'parseJson', 'stringifyJson', 'searchParams', 'timeout', 'totalTimeout', 'throwHttpErrors', 'fetch'];

const stalled: NonNullable<Options['fetch']> = async () => new Response(new ReadableStream<Uint8Array>({
	start(controller) {
		controller.enqueue(new TextEncoder().encode('{"partial":'));
	},
}), {headers: {'content-type': 'application/json'}});

const clients: Array<[string, (options: Options) => KyInstance]> = [
	['plain ky', options => ky.create(options)],
	['knoudsRetry(ky)', options => knoudsRetry(ky.create(options))],
];

describe.each(clients)('%s', (_name, make) => {
	it('hands a beforeError hook of a body-read timeout none of ky\'s own options, so a hook that logs its options does not log the call\'s hooks, fetch, parser or JSON payload', async () => {
		useFakeClock();
		let seen: string[] | undefined;
		const client = make({
			fetch: stalled,
			timeout: 300,
			totalTimeout: 60_000,
			throwHttpErrors: true,
			parseJson: text => JSON.parse(text) as unknown,
			stringifyJson: value => JSON.stringify(value),
			searchParams: {page: '1'},
			hooks: {beforeError: [({error, options}) => {
				seen = Object.keys(options);
				return error;
			}]},
		});
		const read = client.post('https://api.knouds.test/run', {json: {inputs: {}}}).json();
		const settled = expect(read).rejects.toMatchObject({name: 'TimeoutError'});
		await vi.advanceTimersByTimeAsync(300);
		await settled;
		expect(seen).toEqual(expect.arrayContaining(['method', 'headers', 'retry', 'context']));
		expect(seen?.filter(name => kyOwnOptions.includes(name))).toEqual([]);
	});
});
