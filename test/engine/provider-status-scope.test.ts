import {describe, expect, it} from 'vitest';
import {api, arrivals, knoudsBody} from '../support/http.js';
import {surfaces} from '../support/surfaces.js';

const noWait = {random: () => 0};

// `providerStatus` says whether PROVIDER_SUBMIT_FAILED is worth sending again. Another code's body may
// carry the same field (an upstream's status, echoed for diagnosis); its own policy decides it.
describe.each(surfaces)('$name', surface => {
	it.each(['EXECUTION_FAILED', 'SERVER_ERROR'])('still retries %s whose body names an upstream 4xx as its providerStatus, and returns the success', async code => {
		const seen = arrivals();
		api().post('/run').reply(seen.reply(500, code === 'SERVER_ERROR' ? {error: 'upstream', providerStatus: 422} : knoudsBody(code, 'upstream', {providerStatus: 422})))
			.post('/run').reply(seen.reply(200, {output: 42}));
		expect(await surface.run({path: '/run', method: 'POST', json: {inputs: {}}}, noWait)).toEqual({kind: 'ok', status: 200, body: {output: 42}});
		expect(seen.times).toHaveLength(2);
	});
});
