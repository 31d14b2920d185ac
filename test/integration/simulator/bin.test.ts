import {spawn, type ChildProcessWithoutNullStreams} from 'node:child_process';
import {mkdtemp, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {afterEach, beforeAll, describe, expect, it} from 'vitest';
import {scenarios} from '../../../src/testing/index.js';
import {assertFreshDist} from '../fresh-dist.js';

// The built `knouds-sim` bin, run as a user runs it: dist/ is the point here. `npm test` builds dist/
// before vitest runs, and assertFreshDist() fails these tests rather than let them pass on an old build.
beforeAll(assertFreshDist);

const bin = fileURLToPath(new URL('../../../dist/bin/knouds-sim.js', import.meta.url));
const children: ChildProcessWithoutNullStreams[] = [];
const tempDirs: string[] = [];

afterEach(async () => {
	for (const child of children.splice(0)) {
		if (child.exitCode === null && child.signalCode === null) {
			child.kill('SIGKILL');
		}
	}

	await Promise.all(tempDirs.splice(0).map(async dir => rm(dir, {recursive: true, force: true})));
});

type Sim = {
	readonly child: ChildProcessWithoutNullStreams;
	readonly stdout: () => string;
	readonly stderr: () => string;
	/** Resolves with the exit code once the process has exited. */
	readonly exited: Promise<number | null>;
};

const start = (...args: string[]): Sim => {
	const child = spawn(process.execPath, [bin, ...args]);
	children.push(child);
	let stdout = '';
	let stderr = '';
	child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
	child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
	const exited = new Promise<number | null>(resolve => child.on('close', resolve));
	return {child, stdout: () => stdout, stderr: () => stderr, exited};
};

/** Waits until the process has printed a match of `pattern` on stdout, and returns the match. */
const waitForOutput = async (sim: Sim, pattern: RegExp): Promise<RegExpExecArray> => {
	const deadline = Date.now() + 10_000;
	while (Date.now() < deadline) {
		const match = pattern.exec(sim.stdout());
		if (match !== null) {
			return match;
		}

		if (sim.child.exitCode !== null) {
			break;
		}

		await new Promise(resolve => setTimeout(resolve, 10));
	}

	throw new Error(`The simulator never printed ${String(pattern)}. stdout: ${sim.stdout()} stderr: ${sim.stderr()}`);
};

/** Waits until the simulator prints the URL it listens on, and returns it. */
const listeningUrl = async (sim: Sim): Promise<string> => (await waitForOutput(sim, /listening on (http:\/\/\S+)/))[1]!;

const runModel = async (url: string, inputs: unknown = {prompt: 'a lighthouse'}): Promise<Response> => fetch(`${url}/v1/models/text-small/run`, {
	method: 'POST',
	headers: {'x-api-key': 'sim-pro-key', 'content-type': 'application/json'},
	body: JSON.stringify({inputs}),
});

const scenarioFile = async (content: string): Promise<string> => {
	const dir = await mkdtemp(join(tmpdir(), 'knouds-sim-'));
	tempDirs.push(dir);
	const file = join(dir, 'scenario.json');
	await writeFile(file, content);
	return file;
};

describe('the knouds-sim bin', () => {
	it('serves a named scenario on a free port, lists its keys, and prints the request count on SIGINT', async () => {
		const sim = start('--port', '0', '--scenario', 'rate-limited');
		const url = await listeningUrl(sim);
		expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
		expect(sim.stdout()).toContain('scenario \'rate-limited\'');
		// The banner goes out line by line: the key list is complete once its last line is out.
		await waitForOutput(sim, /Stop with Ctrl-C\./);
		for (const {key} of scenarios['rate-limited'].accounts.flatMap(account => account.keys)) {
			expect(sim.stdout()).toContain(key);
		}

		const response = await runModel(url, {call: 1});
		expect(response.status).toBe(200);
		expect(await response.json()).toMatchObject({status: 'succeeded', output: {echo: {call: 1}}});

		sim.child.kill('SIGINT');
		expect(await sim.exited).toBe(0);
		expect(sim.stdout()).toMatch(/\b1 requests, 1 successful runs\b/);
		expect(sim.stderr()).toBe('');
	}, 15_000);

	it('honours a partial scenario from a JSON file', async () => {
		const file = await scenarioFile(JSON.stringify({extends: 'default', seed: 7, faults: {executionFailed: 1}}));
		const sim = start('--port', '0', '--scenario', file);
		const url = await listeningUrl(sim);
		expect(sim.stdout()).toContain('seed 7');
		const response = await runModel(url);
		expect(response.status).toBe(500);
		expect(await response.json()).toMatchObject({code: 'EXECUTION_FAILED'});
		sim.child.kill('SIGINT');
		expect(await sim.exited).toBe(0);
		expect(sim.stdout()).toMatch(/\b1 requests, 0 successful runs\b/);
	}, 15_000);

	it('exits with code 1 and names the file when the scenario file is not valid JSON', async () => {
		const file = await scenarioFile('{"extends": "default",');
		const sim = start('--port', '0', '--scenario', file);
		expect(await sim.exited).toBe(1);
		expect(sim.stderr()).toContain(`knouds-sim: ${file} is not valid JSON`);
		expect(sim.stdout()).not.toContain('listening');
	}, 15_000);

	it('exits with code 1 and lists the scenario names when the scenario is neither a name nor a file', async () => {
		const sim = start('--port', '0', '--scenario', 'no-such-scenario');
		expect(await sim.exited).toBe(1);
		expect(sim.stderr()).toContain('`--scenario` is neither a scenario name');
		for (const name of Object.keys(scenarios)) {
			expect(sim.stderr()).toContain(name);
		}
	}, 15_000);

	it('exits with code 1 and names the field when the scenario file holds an invalid scenario', async () => {
		const file = await scenarioFile(JSON.stringify({extends: 'default', faults: {executionFailed: 2}}));
		const sim = start('--port', '0', '--scenario', file);
		expect(await sim.exited).toBe(1);
		expect(sim.stderr()).toContain('faults.executionFailed');
	}, 15_000);

	it.each([
		[['--port', ''], 'Expected `--port` to be a port number from 0 to 65535 (0 picks a free port), got \'\'.'],
		[['--port', '80x'], 'Expected `--port` to be a port number from 0 to 65535 (0 picks a free port), got \'80x\'.'],
		[['--port', '-1'], 'Expected `--port` to be a port number from 0 to 65535 (0 picks a free port), got \'-1\'.'],
		[['--port', '65536'], 'Expected `--port` to be a port number from 0 to 65535 (0 picks a free port), got \'65536\'.'],
		[['--port', '0', '--seed', 'abc'], 'Expected `--seed` to be a whole number from 0 to 4294967295 (2^32 - 1), got \'abc\'.'],
		[['--port', '0', '--seed', '-1'], 'Expected `--seed` to be a whole number from 0 to 4294967295 (2^32 - 1), got \'-1\'.'],
		[['--port', '0', '--seed=-1'], 'Expected `--seed` to be a whole number from 0 to 4294967295 (2^32 - 1), got \'-1\'.'],
		[['--port', '0', '--seed', '4294967296'], 'Expected `--seed` to be a whole number from 0 to 4294967295 (2^32 - 1), got \'4294967296\'.'],
	])('exits with code 1 and says which values the option takes, for %j', async (args, message) => {
		const sim = start(...args);
		expect(await sim.exited).toBe(1);
		expect(sim.stderr()).toBe(`knouds-sim: ${message}\n`);
	}, 15_000);

	it('takes the largest seed a scenario allows', async () => {
		const sim = start('--port', '0', '--seed', '4294967295');
		await waitForOutput(sim, /listening on /);
		expect(sim.stdout()).toContain('seed 4294967295');
	}, 15_000);

	it('prints its usage with --help and exits with code 0', async () => {
		const sim = start('--help');
		expect(await sim.exited).toBe(0);
		expect(sim.stdout()).toContain('Usage: knouds-sim');
		expect(sim.stdout()).toContain('--scenario');
		for (const name of Object.keys(scenarios)) {
			expect(sim.stdout()).toContain(name);
		}
	}, 15_000);
});
