import {execFile} from 'node:child_process';
import {fileURLToPath} from 'node:url';
import {promisify} from 'node:util';
import {beforeAll, describe, expect, it} from 'vitest';
import {assertFreshDist} from './fresh-dist.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const cells = (report: string, label: string): string[] =>
	report.split('\n').find(line => line.trimStart().startsWith(label))?.slice(label.length + 2).trim().split(/\s{2,}/) ?? [];

// The demo imports the built package (dist/), as a user's code would: dist/ is the point here. `npm test`
// builds it before vitest runs, and assertFreshDist() fails this test rather than let it pass on an old build.
describe('npm run demo', () => {
	let stdout = '';
	beforeAll(async () => {
		await assertFreshDist();
		// It exits 0, or execFile rejects.
		({stdout} = await promisify(execFile)(process.execPath, ['demo/demo.ts'], {cwd: root, timeout: 60_000}));
	}, 70_000);

	it('reports three clients, where knouds-retry beats ky\'s default and is charged only for runs it got', () => {
		const [knoudsOk, defaultOk, tunedOk] = cells(stdout, 'calls that succeeded').map(Number);
		expect(tunedOk).toBeGreaterThan(0);
		expect(knoudsOk).toBeGreaterThan(defaultOk!);
		const charged = cells(stdout, 'charged only for runs it got');
		expect(charged).toHaveLength(3);
		expect(charged[0]).toBe('yes, none twice');
		const requests = cells(stdout, 'requests sent').map(Number);
		expect(requests).toHaveLength(3);
		expect(requests.every(Number.isInteger)).toBe(true);
		expect(stdout).toMatch(/LEGACY_KEY_RETIRED +\d+ \/ \d+ \/ \d+ +Regenerate the API key/);
	});

	it('says how many calls are built to fail and why, with counts that add up', () => {
		const runs = Number(/^(\d+) model runs/m.exec(stdout)?.[1]);
		const [, total = '', groups = ''] = /^(\d+) of the runs are built to fail, whatever the client does:\n((?: {2}\d+ .+\n)+)/m.exec(stdout) ?? [];
		const counts = [...groups.matchAll(/^ {2}(\d+) .+ -> (\S+)$/gm)];
		expect(counts.map(([, , code]) => code)).toEqual(['CAPABILITY_DENIED', 'LEGACY_KEY_RETIRED', 'grant_exhausted']);
		expect(counts.reduce((sum, [, count]) => sum + Number(count), 0)).toBe(Number(total));
		expect(stdout).toContain(`The other ${runs - Number(total)} can succeed`);
	});

	it('explains the differences for each client, credits included', () => {
		const explanations = stdout.slice(stdout.indexOf('What the differences mean:'));
		expect(explanations).toContain('heard the code they were built for');
		expect(explanations).toContain('- ky default against knouds-retry.');
		expect(explanations).toContain('- ky tuned against knouds-retry.');
		expect(explanations).toMatch(/knouds-retry: \d+ credits for \d+ successes = /);
	});
});
