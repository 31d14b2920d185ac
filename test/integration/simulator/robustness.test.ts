import {request as httpRequest} from 'node:http';
import {afterEach, describe, expect, it} from 'vitest';
import {createKnoudsSimulator, scenarios, type KnoudsSimulator, type ScenarioInput} from '../../../src/testing/index.js';

let sims: KnoudsSimulator[] = [];
afterEach(async () => {
	await Promise.all(sims.map(async sim => sim.close()));
	sims = [];
});

const start = async (scenario: ScenarioInput): Promise<KnoudsSimulator> => {
	const sim = await createKnoudsSimulator({scenario});
	sims.push(sim);
	return sim;
};

const post = async (sim: KnoudsSimulator, key: string, body = '{"inputs":{}}', init: RequestInit = {}): Promise<Response> =>
	fetch(`${sim.url}/v1/models/text-small/run`, {method: 'POST', headers: {'x-api-key': key}, body, ...init});

const wait = async (ms: number): Promise<void> => new Promise(resolve => {
	setTimeout(resolve, ms);
});

describe('the simulator under odd traffic', () => {
	it('gives the n-th request the same faults whatever became of the requests before it', async () => {
		const outcomes = async (firstKey: string): Promise<string[]> => {
			const sim = await start({seed: 3, faults: {executionFailed: 0.5}});
			await post(sim, firstKey);
			const codes: string[] = [];
			for (let index = 0; index < 8; index++) {
				const body = await (await post(sim, 'sim-pro-key')).json() as {code?: string};
				codes.push(body.code ?? 'ok');
			}

			return codes;
		};

		// A refused first request draws less than a run does; the runs after it must not notice.
		const afterRefusal = await outcomes('sim-broke-key');
		expect(afterRefusal).toEqual(await outcomes('sim-pro-key'));
		expect(new Set(afterRefusal).size).toBe(2);
	});

	it('counts as undelivered only a charged answer the client never got, including one held at close', async () => {
		const sim = await start({faults: {slow: 1, slowMs: 200}});
		const refused = post(sim, 'sim-broke-key', undefined, {signal: AbortSignal.timeout(20)});
		const charged = post(sim, 'sim-pro-key', undefined, {signal: AbortSignal.timeout(20)});
		await Promise.allSettled([refused, charged]);
		await wait(300);
		expect(sim.stats()).toMatchObject({successfulRuns: 1, undelivered: 1});

		void post(sim, 'sim-pro-key').catch(() => undefined);
		await wait(50);
		await sim.close();
		expect(sim.stats()).toMatchObject({successfulRuns: 2, undelivered: 2});
	});

	it('counts a request dropped mid-body as aborted, with nothing undelivered', async () => {
		const sim = await start('default');
		const {port} = new URL(sim.url);
		await new Promise<void>(resolve => {
			const request = httpRequest({port, method: 'POST', path: '/v1/models/text-small/run', headers: {'x-api-key': 'sim-pro-key', 'content-length': '1000'}});
			request.on('error', () => {
				resolve();
			});
			request.write('{"inputs":');
			setTimeout(() => request.destroy(), 50);
		});
		await wait(50);
		expect(sim.stats()).toMatchObject({requests: 1, byOutcome: {aborted: 1}, undelivered: 0});
	});

	it('refuses a body over 1 MiB with INVALID_BODY and closes the connection, so the next request is served', async () => {
		const sim = await start('default');
		const big = await post(sim, 'sim-pro-key', `{"inputs":{"x":"${'a'.repeat(2 * 1024 * 1024)}"}}`);
		expect([big.status, (await big.json() as {code: string}).code, big.headers.get('connection')]).toEqual([400, 'INVALID_BODY', 'close']);
		expect((await post(sim, 'sim-pro-key')).status).toBe(200);
	});

	it('answers a path no URL parser accepts as an unknown route rather than failing', async () => {
		const sim = await start('default');
		const {port} = new URL(sim.url);
		const status = await new Promise<number | undefined>((resolve, reject) => {
			httpRequest({port, path: '//', headers: {'x-api-key': 'sim-pro-key'}}, response => {
				response.resume();
				resolve(response.statusCode);
			}).on('error', reject).end();
		});
		expect(status).toBe(404);
		expect(sim.stats().byOutcome).toEqual({'unknown-route': 1});
	});

	it('lets an outage decide every request in its window, with no other fault drawn', async () => {
		const sim = await start({faults: {outage: {startMs: 0, durationMs: 60_000, respond: 'execution-failed'}, resetBeforeRead: 0.5, proxyError: 0.5}});
		for (let index = 0; index < 10; index++) {
			await post(sim, 'sim-pro-key');
		}

		expect(sim.stats().byOutcome).toEqual({EXECUTION_FAILED: 10});
	});

	it('keeps its scenario to itself: frozen, and not the shipped one', async () => {
		const sim = await start('chaos');
		expect(Object.isFrozen(sim.scenario.faults)).toBe(true);
		expect(sim.scenario).not.toBe(scenarios.chaos);
		expect(sim.scenario).toEqual(scenarios.chaos);
	});
});

describe('the scaled scenarios', () => {
	it('keep the tiers in their order: Free below Pro below Enterprise', () => {
		for (const name of ['rate-limited', 'chaos'] as const) {
			const {free, pro, enterprise} = scenarios[name].tiers;
			expect(free!.requestsPerWindow).toBeLessThan(pro!.requestsPerWindow);
			expect(pro!.requestsPerWindow).toBeLessThan(enterprise!.requestsPerWindow);
		}
	});
});
