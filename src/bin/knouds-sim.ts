#!/usr/bin/env node
import {readFile} from 'node:fs/promises';
import {parseArgs} from 'node:util';
import {createKnoudsSimulator, scenarios, type ScenarioInput} from '../testing/index.js';

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

const main = async (): Promise<void> => {
	const {values} = parseArgs({
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

	// Number('') is 0, so an empty value would quietly pick a free port: only digits count as a port.
	const port = /^\d+$/.test(values.port) ? Number(values.port) : Number.NaN;
	if (!Number.isInteger(port) || port < 0 || port > 65_535) {
		throw new Error(`Expected \`--port\` to be a port number, got '${values.port}'.`);
	}

	if (values.seed !== undefined && !/^\d+$/.test(values.seed)) {
		throw new Error(`Expected \`--seed\` to be a whole number, got '${values.seed}'.`);
	}

	const scenario = await loadScenario(values.scenario);
	const seed = values.seed === undefined ? undefined : Number(values.seed);
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
