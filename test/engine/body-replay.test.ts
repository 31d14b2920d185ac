import {describe, expect, it} from 'vitest';
import {api, knoudsBody} from '../support/http.js';
import {surfaces} from '../support/surfaces.js';

const noWait = {random: () => 0};

const recordBodies = (path: string, failures: number): string[] => {
	const bodies: string[] = [];
	// nock 15 hands a reply function the request itself (a one-parameter function; two means a callback).
	api().post(path).times(failures).reply(async (request: unknown) => {
		bodies.push(await (request as Request).text());
		return [500, knoudsBody('EXECUTION_FAILED')];
	}).post(path).reply(async (request: unknown) => {
		bodies.push(await (request as Request).text());
		return [200, {ok: true}];
	});
	return bodies;
};

describe.each(surfaces)('$name', surface => {
	it('sends a JSON body identically on every attempt', async () => {
		const bodies = recordBodies('/run', 2);
		const inputs = {prompt: 'a lighthouse at dusk', seed: 7, tags: ['x', 'y']};
		expect((await surface.run({path: '/run', method: 'POST', json: {inputs}}, noWait)).kind).toBe('ok');
		expect(bodies).toHaveLength(3);
		expect(new Set(bodies).size).toBe(1);
		expect(JSON.parse(bodies[0]!)).toEqual({inputs});
	});

	it('buffers a one-shot stream body so that a retry sends the same bytes, not an empty or locked stream', async () => {
		const bodies = recordBodies('/upload', 1);
		const payload = JSON.stringify({inputs: {text: 'streamed '.repeat(1000)}});
		const stream = new ReadableStream<Uint8Array>({
			start(controller) {
				controller.enqueue(new TextEncoder().encode(payload.slice(0, 100)));
				controller.enqueue(new TextEncoder().encode(payload.slice(100)));
				controller.close();
			},
		});
		expect((await surface.run({path: '/upload', method: 'POST', body: stream}, noWait)).kind).toBe('ok');
		expect(bodies).toEqual([payload, payload]);
	});
});
