/**
`npm run bench`: every benchmark, one after the other, printed as markdown.
`npm run bench -- <text>` runs only the cases whose name contains the text.
*/
import {cpus} from 'node:os';
import {runFleet} from './fleet.ts';

const only = process.argv[2];
console.log(`Run on ${new Date().toISOString().slice(0, 10)}: Node.js ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}.\n`);
console.log('## Fleet-safe retrying: knouds-retry against ky\'s built-in retry\n');
console.log((await runFleet(only)).markdown);
