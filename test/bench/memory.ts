/**
Memory over many calls: 100,000 calls through one client, about 10% of them retried once, with the heap
measured after forced GCs at checkpoints. A flat heap from 10k to 100k calls says that nothing a call
leaves behind (shared state, cached digests, outcomes, timers) accumulates. Each client runs in a child
process started with --expose-gc, so that gc() can be forced and the heap holds nothing from before.
*/
import {spawn} from 'node:child_process';
import {once} from 'node:events';
import {createKnoudsFetch, isKnoudsError, knoudsRetry, type FetchLike} from 'knouds-retry';
import ky from 'ky';

/** The heap and RSS of one client after `calls` calls. */
export type MemoryCheckpoint = {
	readonly client: string;
	readonly calls: number;
	/** After forced GCs until one frees less than 0.1 MB. */
	readonly heapUsedMB: number;
	/** After a single forced GC: what a finalizer has yet to release is still counted. */
	readonly heapAfterOneGcMB: number;
	/** How many forced GCs the heap took to settle (at most 10). */
	readonly gcPasses: number;
	readonly rssMB: number;
	/** Calls that ended with a 200 so far; the others ended with the 500 (the retry budget refused their retry). */
	readonly succeeded: number;
	/** Requests the stub answered so far, retries included. */
	readonly requests: number;
};

const checkpoints = [0, 10_000, 25_000, 50_000, 75_000, 100_000];
const concurrency = 50;
const failureRate = 0.1;
const apiKey = 'bench-key';
const childFlag = '--memory-child';

// A fetch stub: about 10% of first attempts (a seeded draw, so runs compare) answer EXECUTION_FAILED,
// and the retry of such a call succeeds. It remembers only the calls it failed that are still running.
const createStub = () => {
	const failed = new Set<string>();
	let seed = 0x9e_37_79_b9;
	let requests = 0;
	// Mulberry32.
	const draw = (): number => {
		seed = (seed + 0x6d_2b_79_f5) | 0;
		let t = Math.imul(seed ^ (seed >>> 15), seed | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
	};

	const fetch: FetchLike = async input => {
		requests++;
		// A real transport answers from an I/O callback. Answered from a microtask, all the calls would run
		// in one macrotask, where no FinalizationRegistry callback runs (undici's Request relies on one to
		// drop the abort listener it adds to its signal), and the heap would measure that instead.
		await new Promise(resolve => setImmediate(resolve));
		const url = input instanceof Request ? input.url : String(input);
		if (!failed.delete(url) && draw() < failureRate) {
			failed.add(url);
			return new Response('{"error":"x","code":"EXECUTION_FAILED"}', {status: 500, headers: {'content-type': 'application/json'}});
		}

		return new Response('{"ok":true}', {headers: {'content-type': 'application/json'}});
	};

	return {fetch, settle: (url: string) => failed.delete(url), requests: () => requests};
};

type Client = {readonly name: string; readonly create: (stub: ReturnType<typeof createStub>) => (url: string) => Promise<boolean>};

const body = '{"inputs":{"prompt":"a lighthouse"}}';
// `random: () => 0` makes every backoff zero (full jitter draws from 0 to the delay), so retries do not wait.
const zeroWait = {random: () => 0};

const clients: readonly Client[] = [
	{
		name: 'createKnoudsFetch()',
		create(stub) {
			const knoudsFetch = createKnoudsFetch({fetch: stub.fetch, ...zeroWait});
			const headers = {'x-api-key': apiKey, 'content-type': 'application/json'};
			return async url => {
				const response = await knoudsFetch(url, {method: 'POST', headers, body});
				await response.text();
				return response.ok;
			};
		},
	},
	{
		name: 'knoudsRetry(ky.create())',
		create(stub) {
			const api = knoudsRetry(ky.create({fetch: stub.fetch, headers: {'x-api-key': apiKey}}), zeroWait);
			// A call whose retry the budget refused throws its KnoudsError.
			return async url => api.post(url, {body, headers: {'content-type': 'application/json'}}).text().then(() => true, (error: unknown) => {
				if (isKnoudsError(error)) {
					return false;
				}

				throw error;
			});
		},
	},
];

const maxGcPasses = 10;

// Forced GCs with a timer turn between them (where finalizers run), until a pass frees less than
// 0.1 MB: garbage that is only released by a finalizer takes one more pass per link of its chain.
const settledHeap = async (): Promise<{heapAfterOneGcMB: number; heapUsedMB: number; gcPasses: number; rssMB: number}> => {
	if (globalThis.gc === undefined) {
		throw new Error('The memory benchmark needs --expose-gc');
	}

	let heapAfterOneGcMB = 0;
	let heapUsedMB = Number.POSITIVE_INFINITY;
	let gcPasses = 0;
	while (gcPasses < maxGcPasses) {
		globalThis.gc();
		await new Promise(resolve => setTimeout(resolve, 10));
		gcPasses++;
		const now = process.memoryUsage().heapUsed / 2 ** 20;
		heapAfterOneGcMB ||= now;
		const freed = heapUsedMB - now;
		heapUsedMB = now;
		if (freed < 0.1) {
			break;
		}
	}

	return {heapAfterOneGcMB, heapUsedMB, gcPasses, rssMB: process.memoryUsage().rss / 2 ** 20};
};

const measureClient = async (client: Client): Promise<MemoryCheckpoint[]> => {
	const stub = createStub();
	const send = client.create(stub);
	const rows: MemoryCheckpoint[] = [];
	let next = 0;
	let succeeded = 0;
	for (const target of checkpoints) {
		// Each call has its own URL, so the stub can tell its retry from a new call.
		const worker = async (): Promise<void> => {
			while (next < target) {
				const url = `http://stub.invalid/v1/models/text-small/run?call=${next++}`;
				// Awaited first: `succeeded += await …` would read the count before the wait and lose updates.
				const ok = await send(url);
				succeeded += ok ? 1 : 0;
				stub.settle(url);
			}
		};

		await Promise.all(Array.from({length: concurrency}, worker));
		rows.push({client: client.name, calls: target, ...await settledHeap(), succeeded, requests: stub.requests()});
	}

	return rows;
};

// One process per client, so that each starts from the same heap and RSS.
const inChild = async (client: Client): Promise<MemoryCheckpoint[]> => {
	const child = spawn(process.execPath, ['--expose-gc', import.meta.filename, childFlag, client.name], {stdio: ['ignore', 'pipe', 'inherit']});
	const output = child.stdout.setEncoding('utf8').toArray() as Promise<string[]>;
	const [code] = await once(child, 'exit') as [number | null];
	if (code !== 0) {
		throw new Error(`The memory benchmark's child process exited with ${code}`);
	}

	return JSON.parse((await output).join('')) as MemoryCheckpoint[];
};

const mb = (value: number): string => `${value.toFixed(1)} MB`;

const table = (rows: readonly MemoryCheckpoint[]): string => {
	const at = (calls: number): MemoryCheckpoint => rows.find(row => row.calls === calls)!;
	const growth = at(100_000).heapUsedMB - at(10_000).heapUsedMB;
	return [
		`### ${rows[0]!.client}`,
		'',
		'| calls | heapUsed (settled) | GC passes to settle | heapUsed after one GC | rss | calls succeeded | requests sent |',
		'|---:|---:|---:|---:|---:|---:|---:|',
		...rows.map(row => `| ${row.calls.toLocaleString('en')} | ${mb(row.heapUsedMB)} | ${row.gcPasses} | ${mb(row.heapAfterOneGcMB)} | ${mb(row.rssMB)} | ${row.succeeded.toLocaleString('en')} | ${row.requests.toLocaleString('en')} |`),
		'',
		`Heap growth from 10,000 to 100,000 calls: ${growth >= 0 ? '+' : ''}${mb(growth)} (${(growth * 2 ** 20 / 90_000).toFixed(1)} bytes per call).`,
		'',
	].join('\n');
};

/** Runs every client's 100,000 calls in a child process and returns the tables and the checkpoints. */
export const runMemory = async (): Promise<{markdown: string; data: MemoryCheckpoint[]}> => {
	const data: MemoryCheckpoint[] = [];
	for (const client of clients) {
		data.push(...await inChild(client));
	}

	const markdown = [
		`One client per run, ${checkpoints.at(-1)!.toLocaleString('en')} POST calls, ${concurrency} at a time, through a fetch stub whose answers to about ${failureRate * 100}% of first attempts are 500 EXECUTION_FAILED; each such call's retry succeeds unless the default retry budget refuses it. Default options, except \`random: () => 0\` (zero backoff). Each client runs in its own child process with --expose-gc; the heap is measured after forced GCs, repeated until one frees less than 0.1 MB (garbage released by a finalizer needs one more pass per link). \`calls succeeded\` falls short of \`calls\` by the calls whose retry the budget refused.`,
		'',
		...clients.map(client => table(data.filter(row => row.client === client.name))),
	].join('\n');
	return {markdown, data};
};

if (import.meta.main && process.argv.includes(childFlag)) {
	const name = process.argv[process.argv.indexOf(childFlag) + 1];
	const client = clients.find(candidate => candidate.name === name);
	if (client === undefined) {
		throw new Error(`No memory benchmark client named ${name}`);
	}

	process.stdout.write(JSON.stringify(await measureClient(client)));
}
