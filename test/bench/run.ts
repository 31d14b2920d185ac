/**
`npm run bench`: every benchmark, one after the other, printed as markdown.
`npm run bench -- <text>` runs only the cases whose name contains the text.
*/
import {cpus} from 'node:os';
import {runFleet} from './fleet.ts';
import {runMemory} from './memory.ts';
import {runOverhead} from './overhead.ts';
import {runPeers} from './peers.ts';

const only = process.argv[2];
console.log(`Run on ${new Date().toISOString().slice(0, 10)}: Node.js ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}.\n`);
console.log('## Fleet-safe retrying: knouds-retry against ky\'s built-in retry\n');
console.log((await runFleet(only)).markdown);
console.log('## Under failure: knouds-retry against the retry layers users pick instead\n');
console.log((await runPeers(only)).markdown);

// These sections have no cases of their own: they run whole when there is no filter or their heading contains it.
for (const [heading, run] of [['Overhead on the success path', runOverhead], ['Memory over 100,000 calls', runMemory]] as const) {
	if (only === undefined || heading.toLowerCase().includes(only.toLowerCase())) {
		console.log(`## ${heading}\n`);
		console.log((await run()).markdown);
	}
}
