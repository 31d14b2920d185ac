import ky, {type KyInstance, type Options} from 'ky';
import {describe, expect, it, vi} from 'vitest';
import {knoudsRetry} from '../src/index.js';
import {useFakeClock} from './support/clock.js';

// On a body-read timeout, the wrapped client's beforeError hooks get ky's normalised options, as with
// plain ky: the method in upper case and the headers as a Headers, so a hook written for ky runs unchanged.
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
	it('hands a beforeError hook of a body-read timeout ky\'s normalised options, so a hook written for ky runs unchanged', async () => {
		useFakeClock();
		const logged: string[] = [];
		const client = make({timeout: 300, fetch: stalled, headers: {'x-trace': 'abc'}, hooks: {beforeError: [({error, options}) => {
			logged.push(`${options.method} ${new Headers(options.headers).get('x-trace')} ${options.headers instanceof Headers}`);
			return error;
		}]}});
		const read = client.post('https://api.knouds.test/run', {json: {inputs: {}}}).json();
		const settled = expect(read).rejects.toMatchObject({name: 'TimeoutError'});
		await vi.advanceTimersByTimeAsync(300);
		await settled;
		expect(logged).toEqual(['POST abc true']);
	});
});

describe('a beforeError hook of a body-read timeout', () => {
	const keysSeen = async (make: (options: Options) => KyInstance): Promise<Record<string, unknown>> => {
		useFakeClock();
		let seen: Record<string, unknown> = {};
		const client = make({timeout: 300, fetch: stalled, prefix: 'https://api.knouds.test/v1', hooks: {beforeError: [({error, options}) => {
			seen = {
				keys: Object.keys(options).sort(),
				body: options.body,
				prefix: options.prefix,
				context: options.context,
				duplex: (options as {duplex?: unknown}).duplex,
				signal: options.signal instanceof AbortSignal,
			};
			return error;
		}]}});
		const read = client.post('run', {json: {inputs: {prompt: 'hi'}}, context: {job: 7}}).json();
		const settled = expect(read).rejects.toMatchObject({name: 'TimeoutError'});
		await vi.advanceTimersByTimeAsync(300);
		await settled;
		return seen;
	};

	it('sees the same options on the wrapped client as on plain ky: the JSON body, the prefix, the context, the signal and the duplex', async () => {
		const plain = await keysSeen(options => ky.create(options));
		const wrapped = await keysSeen(options => knoudsRetry(ky.create(options)));
		expect(plain).toMatchObject({body: '{"inputs":{"prompt":"hi"}}', prefix: 'https://api.knouds.test/v1', context: {job: 7}, signal: true});
		expect(wrapped).toEqual(plain);
	});
});
