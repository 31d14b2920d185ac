/**
What `npm run demo -- --fleet` prints: the plan before the fleets run, then the fleets side by side and
what the differences mean, each from the runs' own counts.
*/
import type {SimulatorScenario} from 'knouds-retry/testing';
import {printWrapped} from './report.ts';

/** A fleet the demo runs: its column name, and what each of its processes does. */
export type DemoFleet = {readonly name: string; readonly description: string};

/** What a fleet did, all its processes together. */
export type FleetRun = {
	readonly name: string;
	readonly calls: number;
	readonly ok: number;
	readonly failures: ReadonlyMap<string, number>;
	/** Requests the fleet's simulator received. */
	readonly requests: number;
	readonly tooMany: number;
	/** Requests any process sent while a 429's Retry-After that any process of the fleet had received was still running. */
	readonly sentDuringKnownWait: number;
	/** From the common start to the fleet's last call's end. */
	readonly makespanMs: number;
};

/** How the fleets are made up. */
export type FleetShape = {readonly processes: number; readonly callsEach: number; readonly concurrency: number};

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

/** Prints what the fleets are and what they meet, before they run; `missing` names a fleet that will not run, and why. */
export const printFleetPlan = ({shape, scenario, fleets, missing}: {
	readonly shape: FleetShape;
	readonly scenario: SimulatorScenario;
	readonly fleets: readonly DemoFleet[];
	readonly missing: {readonly name: string; readonly why: string} | undefined;
}): void => {
	const pro = scenario.tiers['pro']?.requestsPerWindow;
	console.log(`${shape.processes * shape.callsEach} model runs per fleet: ${shape.processes} processes × ${shape.callsEach} calls, ${shape.concurrency} at a time in each,`);
	console.log(`all on one Pro account, against the simulator's '${scenario.name}' scenario (Pro: ${pro} requests per ${scenario.rateLimit.windowMs / 1000}-s window, ${scenario.rateLimit.algorithm.replace('-', ' ')}).`);
	console.log('Each fleet gets a simulator of its own with the same limits, and all start together at a window\'s start:');
	const width = Math.max(...fleets.map(({name}) => name.length), missing?.name.length ?? 0);
	for (const {name, description} of fleets) {
		printWrapped(description, `  ${name.padEnd(width)}  `, ' '.repeat(width + 4));
	}

	if (missing !== undefined) {
		printWrapped(`not run: ${missing.why}`, `  ${missing.name.padEnd(width)}  `, ' '.repeat(width + 4));
	}

	console.log('');
};

const explain = (run: FleetRun, how: string): void => {
	printWrapped(`${run.name}: ${how} ${run.sentDuringKnownWait} requests left while a Retry-After some process of the fleet had received was still running; ${run.tooMany} 429s; all calls done in ${seconds(run.makespanMs)}.`, '- ', '  ');
};

/**
Prints the fleets side by side, then what the differences mean. `missing` names a fleet that did not run,
and why; `best` is what the limit allows: the windows the calls need at least, and the time that takes.
*/
export const printFleetReport = (runs: readonly FleetRun[], {missing, best}: {
	readonly missing: {readonly name: string; readonly why: string} | undefined;
	readonly best: {readonly windows: number; readonly ms: number};
}): void => {
	const rows: Array<[string, (run: FleetRun) => string]> = [
		['calls that succeeded', run => String(run.ok)],
		['calls that failed', run => String(run.calls - run.ok)],
		['requests sent', run => String(run.requests)],
		['429s received', run => String(run.tooMany)],
		['sent during a known Retry-After', run => String(run.sentDuringKnownWait)],
		['time taken', run => seconds(run.makespanMs)],
	];
	const line = (label: string, cells: readonly string[]): string => `  ${label.padEnd(32)}${cells.map(cell => cell.padStart(17)).join('')}`;
	console.log(`\n${line('', runs.map(run => run.name))}`);
	for (const [label, cell] of rows) {
		console.log(line(label, runs.map(cell)));
	}

	console.log(`\n  The limit lets each fleet's ${runs[0]?.calls ?? 0} calls through in ${best.windows} windows at the least: ${seconds(best.ms)} from the start, at best.`);
	if (missing !== undefined) {
		console.log(`  ${missing.name}: not run: ${missing.why}`);
	}

	for (const run of runs.filter(({failures}) => failures.size > 0)) {
		console.log(`\nFailed calls, ${run.name}: ${[...run.failures].map(([code, count]) => `${code} ${count}`).join(', ')}`);
	}

	console.log('\nWhat the differences mean ("a known Retry-After": one that any process of the same fleet had already received):');
	const [ky, memory, redis] = runs;
	if (ky !== undefined) {
		explain(ky, 'each call waits out its own 429\'s Retry-After, and no call or process hears of another\'s:');
	}

	if (memory !== undefined) {
		explain(memory, 'each process shares one gate among its own calls and learns the limit alone, so it cannot know what the other processes were told or how much of the limit they take:');
	}

	if (redis !== undefined) {
		explain(redis, 'the processes share one gate, one record of the limit and one retry budget in Redis, two commands per successful call; what still leaves during a known wait goes in the moment between a 429\'s arrival and its gate reaching Redis:');
	}
};
