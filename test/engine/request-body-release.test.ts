import {describe, expect, it} from 'vitest';
import {createKnoudsFetch} from '../../src/index.js';
import {origin} from '../support/http.js';

/** A request body that never ends, whose source says when it was cancelled. */
const streamed = () => {
	const state = {cancelled: false};
	const body = new ReadableStream<Uint8Array>({
		pull(controller) {
			controller.enqueue(new TextEncoder().encode('chunk'));
		},
		cancel() {
			state.cancelled = true;
		},
	});
	return {body, state};
};

// A server may answer before it has read the upload; the caller's source (a file, a socket) must not
// stay open for good because the call succeeded.
describe('a streamed request body a createKnoudsFetch call did not need', () => {
	it('is cancelled when the first attempt succeeds without the fetch reading it, so its source is closed', async () => {
		const {body, state} = streamed();
		const knoudsFetch = createKnoudsFetch({fetch: async () => Response.json({accepted: true}, {status: 202})});
		const response = await knoudsFetch(`${origin}/v1/uploads`, {method: 'POST', body, duplex: 'half'});
		expect(response.status).toBe(202);
		await expect.poll(() => state.cancelled).toBe(true);
	});
});
