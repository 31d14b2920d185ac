/**
The fleet benchmark: the same batch of model runs through knouds-retry and through ky's built-in retry,
on the same simulator scenarios, one client after the other with a fresh simulator each.
Run with `npm run bench`.
*/
import {createKnoudsSimulator, type ScenarioInput} from 'knouds-retry/testing';
import {runBatch} from '../../demo/batch.ts';
import {knoudsClient, kyClient, type ClientFactory} from './clients.ts';
import {createProbe, type ProbeStats} from './probe.ts';

const calls = 200;
const concurrency = 32;
const perWindow = 20;
const windowMs = 2000;

type Case = {
	readonly name: string;
	readonly scenario: ScenarioInput;
	/** The shortest makespan the server's limit allows for the batch, from the moment it starts. */
	readonly ideal?: (startedAt: number) => number;
};

const limited = (algorithm: 'fixed-window' | 'token-bucket'): ScenarioInput =>
	({extends: 'rate-limited', rateLimit: {algorithm, windowMs}});

const cases: readonly Case[] = [
	{
		name: `fixed window, ${perWindow} per ${windowMs / 1000} s`,
		scenario: limited('fixed-window'),
		// A full window's worth at the start of each window, from the one the batch starts in.
		ideal: startedAt => ((Math.floor(startedAt / windowMs) + Math.ceil(calls / perWindow) - 1) * windowMs) - startedAt,
	},
	{
		name: `token bucket, ${perWindow} per ${windowMs / 1000} s`,
		scenario: limited('token-bucket'),
		// The full bucket at once, then one request per refill.
		ideal: () => Math.max(0, calls - perWindow) * windowMs / perWindow,
	},
	{name: 'total outage (EXECUTION_FAILED)', scenario: {faults: {outage: {startMs: 0, durationMs: Number.MAX_SAFE_INTEGER, respond: 'execution-failed'}}}},
	{name: '10% EXECUTION_FAILED', scenario: {faults: {executionFailed: 0.1}}},
];

type Row = ProbeStats & {readonly client: string; readonly succeeded: number; readonly makespanMs: number; readonly idealMs: number | undefined};

const measure = async (test: Case, client: ClientFactory): Promise<Row> => {
	const sim = await createKnoudsSimulator({scenario: test.scenario});
	const probe = createProbe();
	const api = client.create(sim.url, probe.fetch);
	const batch = Array.from({length: calls}, (_, id) => ({id, key: 'sim-pro-key', model: 'text-small', async: false}));
	const startedAt = Date.now();
	try {
		const results = await runBatch(batch, concurrency, async call => {
			try {
				await api.post(`v1/models/${call.model}/run`, {json: {inputs: {call: call.id}}}).json();
				return {ok: true, executionId: '', creditsCharged: 0} as const;
			} catch {
				return {ok: false, code: ''} as const;
			}
		}, () => undefined);
		const makespanMs = Date.now() - startedAt;
		return {client: client.name, succeeded: results.filter(result => result.ok).length, makespanMs, idealMs: test.ideal?.(startedAt), ...probe.stats()};
	} finally {
		await sim.close();
	}
};

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

console.log(`# Fleet benchmark: ${calls} calls at concurrency ${concurrency}, ${new Date().toISOString().slice(0, 10)}, Node.js ${process.version}\n`);
// `npm run bench -- outage` runs only the cases whose name contains `outage`.
const only = process.argv[2];
for (const test of cases.filter(({name}) => only === undefined || name.includes(only))) {
	const rows: Row[] = [];
	for (const client of [knoudsClient, kyClient]) {
		rows.push(await measure(test, client));
	}

	console.log(`## ${test.name}\n`);
	console.log('| client | calls succeeded | requests sent | requests per call | 429s received | sent during a known Retry-After | makespan | makespan / ideal |');
	console.log('|---|---|---|---|---|---|---|---|');
	for (const row of rows) {
		const ratio = row.idealMs === undefined ? 'n/a' : `${(row.makespanMs / row.idealMs).toFixed(2)} (ideal ${seconds(row.idealMs)})`;
		console.log(`| ${row.client} | ${row.succeeded} / ${calls} | ${row.sent} | ${(row.sent / calls).toFixed(2)} | ${row.tooMany} | ${row.sentDuringKnownWait} | ${seconds(row.makespanMs)} | ${ratio} |`);
	}

	console.log('');
}
