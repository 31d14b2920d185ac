import {execFile} from 'node:child_process';
import {fileURLToPath} from 'node:url';
import {promisify} from 'node:util';
import {describe, expect, it} from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const cells = (report: string, label: string): string[] =>
	report.split('\n').find(line => line.trimStart().startsWith(label))?.slice(label.length + 2).trim().split(/\s{2,}/) ?? [];

// The demo imports the built package (dist/), which `npm test` builds before vitest runs.
describe('npm run demo', () => {
	it('exits 0 with a report where knouds-retry beats plain ky and every charge matches a success', async () => {
		const {stdout} = await promisify(execFile)(process.execPath, ['demo/demo.ts'], {cwd: root, timeout: 60_000});
		const [knoudsOk, plainOk] = cells(stdout, 'calls that succeeded').map(Number);
		expect(knoudsOk).toBeGreaterThan(plainOk!);
		expect(cells(stdout, 'charged only for runs it got')).toEqual(['yes, none twice', 'yes, none twice']);
		const requests = cells(stdout, 'requests sent').map(Number);
		expect(requests).toHaveLength(2);
		expect(requests.every(Number.isInteger)).toBe(true);
		expect(stdout).toContain('Failed calls by code');
		expect(stdout).toMatch(/LEGACY_KEY_RETIRED +\d+ \/ \d+ +Regenerate the API key/);
	}, 70_000);
});
