import {readdir, stat} from 'node:fs/promises';
import {join, relative} from 'node:path';
import {fileURLToPath} from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

const files = async (dir: string, suffix: string): Promise<string[]> => {
	const entries = await readdir(dir, {recursive: true, withFileTypes: true});
	return entries.filter(entry => entry.isFile() && entry.name.endsWith(suffix)).map(entry => join(entry.parentPath, entry.name));
};

/**
Throws unless dist/ was built from the src/ now on disk: every source file has its built file, and
none changed after the build. The tests of the bin and the demo run dist/, since that is what users
run; `npm test` builds it first, but a test run on its own (`npx vitest`) after a change to src/ would
otherwise test the old build and pass on code that no longer exists.
*/
export const assertFreshDist = async (): Promise<void> => {
	const sources = (await files(join(root, 'src'), '.ts')).filter(file => !file.endsWith('.d.ts'));
	const stale: string[] = [];
	for (const source of sources) {
		const built = join(root, 'dist', relative(join(root, 'src'), source)).replace(/\.ts$/, '.js');
		const [from, to] = await Promise.all([stat(source), stat(built).catch(() => undefined)]);
		if (to === undefined || to.mtimeMs < from.mtimeMs) {
			stale.push(relative(root, source));
		}
	}

	if (stale.length > 0) {
		throw new Error(`dist/ is older than src/ (${stale.slice(0, 5).join(', ')}${stale.length > 5 ? ', …' : ''}): run \`npm run build\` first (\`npm test\` does).`);
	}
};
