import {afterEach, describe, expect, it} from 'vitest';
import {createKnoudsSimulator, type KnoudsSimulator} from '../../../src/testing/index.js';

let sim: KnoudsSimulator | undefined;
afterEach(async () => {
	await sim?.close();
	sim = undefined;
});

describe('configured paths', () => {
	it('serves a route at the path the scenario gives it, and not at the default one', async () => {
		sim = await createKnoudsSimulator({scenario: {paths: {'POST /v1/models/:internalName/run': '/api/run/:internalName'}}});
		const post = async (path: string): Promise<Response> => fetch(`${sim!.url}${path}`, {method: 'POST', headers: {'x-api-key': 'sim-pro-key'}, body: '{"inputs":{}}'});
		expect((await post('/api/run/text-small')).status).toBe(200);
		expect((await post('/v1/models/text-small/run')).status).toBe(404);
		expect(sim.stats().byRoute).toEqual({'POST /v1/models/:internalName/run': {ok: 1}, unknown: {'unknown-route': 1}});
	});
});
