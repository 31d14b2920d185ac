/**
Puts a full bench run into docs/benchmarks.md, between its generated-section markers, and draws the
chart next to it, so the published figures are always those of one run of `npm run bench`.
*/
import {readFile, writeFile} from 'node:fs/promises';

const start = '<!-- bench:start (written by npm run bench) -->';
const end = '<!-- bench:end -->';
const documentUrl = new URL('../../docs/benchmarks.md', import.meta.url);

/** Replaces the generated section of docs/benchmarks.md with `markdown`, and writes the chart. */
export const publish = async (markdown: string, svg: string): Promise<void> => {
	const document = await readFile(documentUrl, 'utf8');
	const from = document.indexOf(start);
	const to = document.indexOf(end);
	if (from === -1 || to < from) {
		throw new Error(`docs/benchmarks.md has lost its markers (${start} … ${end}); put them back around the results.`);
	}

	await writeFile(documentUrl, `${document.slice(0, from + start.length)}\n\n${markdown.trim()}\n\n${document.slice(to)}`);
	await writeFile(new URL('../../docs/benchmarks.svg', import.meta.url), svg);
};
