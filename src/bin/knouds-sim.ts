#!/usr/bin/env node
import {readFile} from 'node:fs/promises';
import {parseArgs} from 'node:util';
import {createKnoudsSimulator, scenarios, type ScenarioInput} from '../testing/index.js';
import {maxSeed} from '../testing/resolve-scenario.js';

const usage = `Usage: knouds-sim [--port 8787] [--host 127.0.0.1] [--scenario <name>|<file.json>] [--seed <n>]

Runs a Knouds API simulator until interrupted. Scenarios: ${Object.keys(scenarios).join(', ')},
or a JSON file holding a partial scenario (see the simulator guide).`;

const loadScenario = async (value: string): Promise<ScenarioInput> => {
	if (Object.hasOwn(scenarios, value)) {
		return value as ScenarioInput;
	}

	const text = await readFile(value, 'utf8').catch((error: unknown) => {
		throw new Error(`\`--scenario\` is neither a scenario name (${Object.keys(scenarios).join(', ')}) nor a readable file: ${(error as Error).message}`, {cause: error});
	});
	try {
		return JSON.parse(text) as ScenarioInput;
	} catch (error) {
		throw new Error(`${value} is not valid JSON: ${(error as Error).message}`, {cause: error});
	}
};

const numberOptions = new Set(['--port', '--seed']);

/**
The command line with `--port -1` read as `--port=-1`: parseArgs refuses a value that starts with a dash
as ambiguous, and the checks below can then say what is wrong with the number.
*/
const commandLine = (args: readonly string[]): string[] => args.flatMap((arg, index) => {
	const next = args[index + 1];
	if (numberOptions.has(arg) && next !== undefined && /^-\d/.test(next)) {
		return [`${arg}=${next}`];
	}

	return numberOptions.has(args[index - 1] ?? '') && /^-\d/.test(arg) ? [] : [arg];
});

/** A whole number from 0 to `max` written in digits only (Number('') is 0, Number('1e3') is 1000), else NaN. */
const wholeNumber = (value: string, max: number): number => {
	const number = /^\d+$/.test(value) ? Number(value) : Number.NaN;
	return number <= max ? number : Number.NaN;
};

const main = async (): Promise<void> => {
	const {values} = parseArgs({
		args: commandLine(process.argv.slice(2)),
		options: {
			port: {type: 'string', default: '8787'},
			host: {type: 'string', default: '127.0.0.1'},
			scenario: {type: 'string', default: 'default'},
			seed: {type: 'string'},
			help: {type: 'boolean', short: 'h', default: false},
		},
	});
	if (values.help) {
		console.log(usage);
		return;
	}

	// An empty value would quietly pick a free port: only digits count as a port.
	const port = wholeNumber(values.port, 65_535);
	if (Number.isNaN(port)) {
		throw new Error(`Expected \`--port\` to be a port number from 0 to 65535 (0 picks a free port), got '${values.port}'.`);
	}

	const seed = values.seed === undefined ? undefined : wholeNumber(values.seed, maxSeed);
	if (Number.isNaN(seed)) {
		throw new Error(`Expected \`--seed\` to be a whole number from 0 to ${maxSeed} (2^32 - 1), got '${values.seed ?? ''}'.`);
	}

	const scenario = await loadScenario(values.scenario);
	const sim = await createKnoudsSimulator({
		port,
		host: values.host,
		scenario: seed === undefined ? scenario : {...(typeof scenario === 'string' ? {extends: scenario} : scenario), seed},
	});
	console.log(`Knouds API simulator (scenario '${sim.scenario.name}', seed ${sim.scenario.seed}) listening on ${sim.url}`);
	console.log('Keys it accepts (send as x-api-key):');
	for (const account of sim.scenario.accounts) {
		for (const key of account.keys) {
			console.log(`  ${key.key.padEnd(20)} ${account.tier} tier, ${account.credits} credits, created ${key.createdAt.slice(0, 10)}, can ${key.capabilities.join(' ')}`);
		}
	}

	console.log(`Models: ${sim.scenario.models.map(model => model.internalName).join(', ')}. Stop with Ctrl-C.`);
	const stop = (): void => {
		const stats = sim.stats();
		console.log(`\n${stats.requests} requests, ${stats.successfulRuns} successful runs, ${stats.creditsCharged} credits charged, ${stats.rateLimited} 429s sent.`);
		void sim.close();
	};

	process.once('SIGINT', stop);
	process.once('SIGTERM', stop);
};

main().catch((error: unknown) => {
	console.error(`knouds-sim: ${error instanceof Error ? error.message : String(error)}`);
	process.exitCode = 1;
});
