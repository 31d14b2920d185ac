/**
Overhead on the success path: what `knoudsRetry(ky)` and `createKnoudsFetch()` cost per request over bare
ky and bare fetch when every answer is a 200, over a real loopback server and over an in-process fetch
stub (pure CPU). tinybench gives each client's median latency and requests/s; the ratios to the baselines
and the CPU per request (process.cpuUsage()) come from short slices of each client, interleaved with the
clients of its family (ky or fetch) only.
*/
import {spawn} from 'node:child_process';
import {once} from 'node:events';
import {createInterface} from 'node:readline';
import {createKnoudsFetch, knoudsRetry, type FetchLike} from 'knouds-retry';
import ky from 'ky';
import {blocks, cyclesPerBlock, interleaved, median, rounds, settle, sliceMs, taskMs, timed, type Send} from './timing.ts';

/** One client's medians on one transport. */
export type OverheadRow = {
	readonly transport: string;
	readonly client: string;
	readonly requestsPerSecond: number;
	readonly medianLatencyMs: number;
	readonly cpuMicrosPerRequest: number;
	/** Requests/s over the baseline's (bare ky for ky clients, bare fetch for fetch ones), interleaved: 0.95 is 5% slower. */
	readonly ratioToBaseline: number;
	/** CPU per request over the baseline's: 1.05 is 5% more CPU. */
	readonly cpuRatioToBaseline: number;
	/** The lowest and highest of the per-block requests/s ratios, whose median is `ratioToBaseline`: the noise. */
	readonly ratioRange: readonly [number, number];
};

type Client = {readonly name: string; readonly baseline: string; readonly create: () => Send};
// Every client sends through the global fetch: the platform's on loopback, the stub in its place in memory.
type Transport = {readonly name: string; readonly url: string};

// Every client parses the body, and a wrong answer stops the bench rather than timing a failure path.
const expectOk = (body: unknown): void => {
	if ((body as {ok?: unknown} | null)?.ok !== true) {
		throw new Error(`Expected {"ok":true}, got ${JSON.stringify(body)}`);
	}
};

const viaKy = (api: typeof ky): Send => async url => {
	expectOk(await api.get(url).json());
};

const viaFetch = (fetch: FetchLike): Send => async url => {
	expectOk(await (await fetch(url)).json());
};

const bareKy = 'ky.create({retry: 0})';
const bareFetch = 'fetch';
const clients: readonly Client[] = [
	{name: bareKy, baseline: bareKy, create: () => viaKy(ky.create({retry: 0}))},
	{name: 'ky.create() (built-in retry)', baseline: bareKy, create: () => viaKy(ky.create())},
	{name: 'knoudsRetry(ky.create())', baseline: bareKy, create: () => viaKy(knoudsRetry(ky.create()))},
	{name: bareFetch, baseline: bareFetch, create: () => viaFetch(async (input, init) => globalThis.fetch(input, init))},
	{name: 'createKnoudsFetch()', baseline: bareFetch, create: () => viaFetch(createKnoudsFetch())},
];

// The server runs in its own process, so that the CPU measured here is the client's alone.
const serverSource = `
import {createServer} from 'node:http';
const body = '{"ok":true}';
const server = createServer((request, response) => {
	request.resume();
	response.writeHead(200, {'content-type': 'application/json', 'content-length': body.length});
	response.end(body);
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
`;

const startServer = async (): Promise<{url: string; close: () => Promise<void>}> => {
	const child = spawn(process.execPath, ['--input-type=module', '-e', serverSource], {stdio: ['pipe', 'pipe', 'inherit']});
	const [port] = await once(createInterface({input: child.stdout}), 'line') as [string];
	return {
		url: `http://127.0.0.1:${port}/v1/ok`,
		// Closing its stdin ends it (and so does this process ending, whatever way it ends).
		async close() {
			const exited = once(child, 'exit');
			child.stdin.end();
			await exited;
		},
	};
};

const stubFetch: FetchLike = async () => new Response('{"ok":true}', {headers: {'content-type': 'application/json'}});

const measureFamily = async (transport: Transport, family: readonly Client[]): Promise<OverheadRow[]> => {
	const senders = new Map(family.map(client => [client.name, client.create()]));
	// One client's garbage is collected in the next one's time, and knoudsRetry(ky)'s takes several GCs (its
	// Requests' signals are released by finalizers): so each family starts from a settled heap.
	await settle();
	const figures = await timed(senders, transport.url);
	await settle();
	const tallies = await interleaved(senders, transport.url);
	return family.map(client => {
		// Per block: the client's CPU µs per request, and its requests/s and CPU over its baseline's.
		const perBlock = tallies.map(tally => {
			const [own, base] = [tally.get(client.name)!, tally.get(client.baseline)!];
			return {cpu: own.cpu / own.sent, ratio: (own.sent / own.wallMs) / (base.sent / base.wallMs), cpuRatio: (own.cpu / own.sent) / (base.cpu / base.sent)};
		});
		const ratios = perBlock.map(block => block.ratio);
		return {
			transport: transport.name,
			client: client.name,
			requestsPerSecond: median(figures.get(client.name)!.rps),
			medianLatencyMs: median(figures.get(client.name)!.latencyMs),
			cpuMicrosPerRequest: median(perBlock.map(block => block.cpu)),
			ratioToBaseline: median(ratios),
			cpuRatioToBaseline: median(perBlock.map(block => block.cpuRatio)),
			ratioRange: [Math.min(...ratios), Math.max(...ratios)],
		};
	});
};

const measureTransport = async (transport: Transport): Promise<OverheadRow[]> => [
	...await measureFamily(transport, clients.filter(client => client.baseline === bareKy)),
	...await measureFamily(transport, clients.filter(client => client.baseline === bareFetch)),
];

const percent = (ratio: number): string => `${ratio >= 1 ? '+' : '−'}${Math.abs((ratio - 1) * 100).toFixed(1)}%`;

const table = (title: string, rows: readonly OverheadRow[]): string => [
	`### ${title}`,
	'',
	'| client | requests/s (median) | median latency | CPU µs per request | requests/s vs baseline | CPU vs baseline |',
	'|---|---:|---:|---:|---:|---:|',
	...rows.map(row => `| ${row.client} | ${Math.round(row.requestsPerSecond)} | ${(row.medianLatencyMs * 1000).toFixed(1)} µs | ${row.cpuMicrosPerRequest.toFixed(1)} | ${row.ratioToBaseline.toFixed(3)} (${percent(row.ratioToBaseline)}) | ${row.cpuRatioToBaseline.toFixed(3)} (${percent(row.cpuRatioToBaseline)}) |`),
	'',
].join('\n');

// The project's goal: on loopback, each knouds-retry surface within 5% of its baseline's requests/s. The stub's
// added CPU per request, over the baseline's loopback latency, predicts the same ratio with less noise.
const verdict = (loopback: readonly OverheadRow[], stub: readonly OverheadRow[]): string => loopback
	.filter(row => /knouds/i.test(row.client))
	.map(row => {
		const baseline = clients.find(client => client.name === row.client)!.baseline;
		const of = (rows: readonly OverheadRow[], name: string): OverheadRow => rows.find(other => other.client === name)!;
		const addedMicros = of(stub, row.client).cpuMicrosPerRequest - of(stub, baseline).cpuMicrosPerRequest;
		const latencyMicros = of(loopback, baseline).medianLatencyMs * 1000;
		const predicted = latencyMicros / (latencyMicros + addedMicros);
		const met = [row.ratioToBaseline, predicted].filter(ratio => ratio >= 0.95).length;
		return `- ${row.client}: ${(row.ratioToBaseline * 100).toFixed(1)}% of its baseline's requests/s on loopback (blocks ranged ${row.ratioRange.map(ratio => (ratio * 100).toFixed(0)).join('–')}%), ${row.cpuRatioToBaseline.toFixed(2)}× its CPU per request. On the stub it adds ${addedMicros.toFixed(0)} µs of CPU per request; over the baseline's ${latencyMicros.toFixed(0)} µs loopback latency that predicts ${(predicted * 100).toFixed(1)}%. The 5% goal is **${met === 2 ? 'met' : met === 0 ? 'not met' : 'not settled by this run'}**.`;
	})
	.join('\n');

/** Runs both transports and returns their tables, the verdict on the 5% goal, and the medians. */
export const runOverhead = async (): Promise<{markdown: string; data: OverheadRow[]}> => {
	const server = await startServer();
	let loopback: OverheadRow[];
	try {
		loopback = await measureTransport({name: 'loopback', url: server.url});
	} finally {
		await server.close();
	}

	// The stub stands in for the platform's fetch, so that every client takes the path it takes on loopback:
	// given a custom fetch, knouds-retry builds a Request per attempt to carry its signal, which loopback never pays.
	const platformFetch = globalThis.fetch;
	globalThis.fetch = stubFetch;
	let stub: OverheadRow[];
	try {
		stub = await measureTransport({name: 'stub', url: 'http://stub.invalid/v1/ok'});
	} finally {
		globalThis.fetch = platformFetch;
	}

	const markdown = [
		`Every answer is a 200 \`{"ok":true}\`, parsed by each client; requests are sequential. Requests/s and latency are tinybench's medians (${rounds} rounds of ${taskMs} ms per client, in rotating order). The ratios and the CPU per request come from ${blocks} blocks of ${cyclesPerBlock} cycles in which each client of a family (ky, fetch) sends for ${sliceMs} ms in turn (rotating order), so that load from elsewhere falls on all alike: each is the median over the blocks. The two families are measured apart, each from a settled heap, since one client's garbage is collected in the next one's time. Absolute numbers depend on the machine's load; the ratios are what compare.`,
		'',
		table('Loopback node:http server on 127.0.0.1 (keep-alive, in a child process)', loopback),
		table('In-process fetch stub in place of the global fetch (pure CPU cost)', stub),
		verdict(loopback, stub),
		'',
	].join('\n');
	return {markdown, data: [...loopback, ...stub]};
};
