/**
`npm run bench`: every benchmark, one after the other. A full run prints the results and writes them
into docs/benchmarks.md (between its markers) with the chart docs/benchmarks.svg.
`npm run bench -- <text>` runs only the cases and sections whose name contains the text, and writes nothing.
*/
import {cpus} from 'node:os';
import {chart} from './chart.ts';
import {runFleet} from './fleet.ts';
import {fleetProcessesHeading, runFleetProcesses} from './fleet-processes.ts';
import {runMemory} from './memory.ts';
import {runOverhead} from './overhead.ts';
import {runPeers} from './peers.ts';
import {publish} from './publish.ts';

const only = process.argv[2];
const sections: string[] = [`Run on ${new Date().toISOString().slice(0, 10)} with \`npm run bench\`: Node.js ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}.\n`];
const print = (section: string): void => {
	console.log(section);
	sections.push(section);
};

const fleet = await runFleet(only);
if (fleet.results.length > 0) {
	print(`## Fleet-safe retrying: knouds-retry against ky's built-in retry\n\n${fleet.markdown}`);
}

const processes = await runFleetProcesses(only);
if (processes.markdown !== '') {
	print(`## ${fleetProcessesHeading}: one account, four processes, with and without a shared Redis store\n\n${processes.markdown}`);
}

const peers = await runPeers(only);
if (peers.results.length > 0) {
	print(`## Under failure: knouds-retry against the retry layers users pick instead\n\n${peers.markdown}`);
}

// These sections have no cases of their own: they run whole when there is no filter or their heading contains it.
for (const [heading, run] of [['Overhead on the success path', runOverhead], ['Memory over 100,000 calls', runMemory]] as const) {
	if (only === undefined || heading.toLowerCase().includes(only.toLowerCase())) {
		print(`## ${heading}\n\n${(await run()).markdown}`);
	}
}

if (only === undefined) {
	await publish(sections.join('\n'), await chart(fleet.results, peers.results));
	console.log('Written to docs/benchmarks.md and docs/benchmarks.svg.');
}
