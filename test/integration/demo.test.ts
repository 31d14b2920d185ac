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

// The fleet demo forks its processes, which import the built package too. Where no Redis server answers
// it runs the two other fleets and says why; under CI a Redis server is required (.ci/run sees to it).
describe('npm run demo -- --fleet', () => {
	let stdout = '';
	beforeAll(async () => {
		await assertFreshDist();
		({stdout} = await promisify(execFile)(process.execPath, ['demo/demo.ts', '--fleet'], {cwd: root, timeout: 120_000}));
	}, 130_000);

	it('runs plain ky, knouds-retry with in-memory stores and knouds-retry with one Redis store side by side, or says why Redis could not run', () => {
		const skipped = /^ {2}knouds, Redis: not run: (.+)$/m.exec(stdout);
		if (process.env['CI'] === 'true') {
			expect(skipped).toBeNull();
		}

		expect(stdout).toMatch(skipped === null ? /^ +ky tuned +knouds, memory +knouds, Redis$/m : /^ +ky tuned +knouds, memory$/m);
		const fleets = skipped === null ? 3 : 2;
		for (const label of ['calls that succeeded', 'calls that failed', 'requests sent', '429s received', 'sent during a known Retry-After']) {
			const counts = cells(stdout, label);
			expect(counts, label).toHaveLength(fleets);
			expect(counts.every(count => /^\d+$/.test(count)), label).toBe(true);
		}

		expect(cells(stdout, 'time taken').every(time => /^\d+\.\d s$/.test(time))).toBe(true);
		if (skipped !== null) {
			expect(skipped[1]).toMatch(/^no Redis server answered at \S+/);
		}
	});

	it('shows the Redis fleet sending fewer requests into Retry-Afters it knew of than plain ky', ({skip}) => {
		const [ky, , redis] = cells(stdout, 'sent during a known Retry-After').map(Number);
		if (redis === undefined) {
			skip('no Redis server: the demo ran without the Redis fleet');
		}

		expect(redis).toBeLessThan(ky!);
	});
});
