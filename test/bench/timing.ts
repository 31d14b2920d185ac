/**
How the overhead bench times a set of request senders on a shared, noisy machine: tinybench rounds for
latency and requests/s, and interleaved slices for CPU per request and for ratios between senders.
*/
import {setFlagsFromString} from 'node:v8';
import {runInNewContext} from 'node:vm';
import {Bench} from 'tinybench';

/** Sends one request and checks its answer. */
export type Send = (url: string) => Promise<void>;
/** The senders to compare, by name, in the order given. */
export type Senders = ReadonlyMap<string, Send>;

// tinybench rounds, each timing every sender for taskMs after a warm-up.
export const rounds = 5;
export const taskMs = 300;
// Blocks of cycles in which each sender sends for sliceMs in turn: a burst of load from elsewhere falls
// on every sender alike, which a one-sender-after-another design cannot promise on a shared machine.
export const blocks = 40;
export const cyclesPerBlock = 20;
export const sliceMs = 20;

export const median = (values: readonly number[]): number => {
	const sorted = [...values].sort((a, b) => a - b);
	const middle = Math.floor(sorted.length / 2);
	return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

// Each turn starts at another sender and every other turn runs backwards, so that no sender always runs
// first, last or right after another: drift in the machine's load does not favour one.
const orderFor = (names: readonly string[], turn: number): string[] => {
	const start = turn % names.length;
	const rotated = [...names.slice(start), ...names.slice(0, start)];
	return turn % 2 === 1 ? rotated.reverse() : rotated;
};

/** Each sender's median-latency (ms) and median-throughput samples, one per tinybench round. */
export const timed = async (senders: Senders, url: string): Promise<Map<string, {rps: number[]; latencyMs: number[]}>> => {
	const figures = new Map([...senders.keys()].map(name => [name, {rps: [] as number[], latencyMs: [] as number[]}]));
	for (let round = 0; round < rounds; round++) {
		// The first round's warm-up is tinybench's default (at least 250 ms); later ones only re-warm.
		const bench = new Bench({time: taskMs, throws: true, ...(round === 0 ? {} : {warmupTime: 50})});
		for (const name of orderFor([...senders.keys()], round)) {
			const send = senders.get(name)!;
			bench.add(name, async () => send(url), {async: true});
		}

		await bench.run();
		for (const {name, result} of bench.tasks) {
			if (result.state !== 'completed') {
				throw new Error(`${url}, ${name}: ${result.state === 'errored' ? result.error.message : result.state}`);
			}

			figures.get(name)!.rps.push(result.throughput.p50);
			figures.get(name)!.latencyMs.push(result.latency.p50);
		}
	}

	return figures;
};

/** What one sender did in one block: CPU µs, wall ms and requests. */
export type Tally = {cpu: number; wallMs: number; sent: number};

// process.cpuUsage() counts every thread of the process (GC included): the sender's whole cost.
const slice = async (send: Send, url: string, tally: Tally): Promise<void> => {
	const cpu = process.cpuUsage();
	const start = performance.now();
	let now = start;
	for (; now - start < sliceMs; now = performance.now()) {
		await send(url);
		tally.sent++;
	}

	const used = process.cpuUsage(cpu);
	tally.cpu += used.user + used.system;
	tally.wallMs += now - start;
};

/** Each block's tally per sender. */
export const interleaved = async (senders: Senders, url: string): Promise<Array<Map<string, Tally>>> => {
	const tallies: Array<Map<string, Tally>> = [];
	for (let block = 0; block < blocks; block++) {
		const tally = new Map([...senders.keys()].map(name => [name, {cpu: 0, wallMs: 0, sent: 0}]));
		for (let cycle = 0; cycle < cyclesPerBlock; cycle++) {
			for (const name of orderFor([...senders.keys()], (block * cyclesPerBlock) + cycle)) {
				await slice(senders.get(name)!, url, tally.get(name)!);
			}
		}

		tallies.push(tally);
	}

	return tallies;
};

let gc: (() => void) | undefined;

/**
Forces GCs with turns between them, so that what ran before leaves no garbage for the next measurement to
collect: garbage whose release waits for finalizers takes a GC, a turn for the finalizers, then another GC per link.
*/
export const settle = async (): Promise<void> => {
	if (gc === undefined) {
		// Exposes gc() to contexts created from now on, without starting Node.js with --expose-gc.
		setFlagsFromString('--expose-gc');
		gc = runInNewContext('gc') as () => void;
	}

	for (let pass = 0; pass < 6; pass++) {
		gc();
		await new Promise(resolve => setTimeout(resolve, 5));
	}
};
