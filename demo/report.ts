import {knoudsErrorCatalog} from 'knouds-retry';
import type {SimulatorScenario, SimulatorStats} from 'knouds-retry/testing';
import type {Call, Purpose, Result} from './batch.ts';
import type {ClientTally} from './clients.ts';

/** One client's run: its results, its own tally and what the simulator saw. */
export type Run = {
	readonly name: string;
	readonly results: readonly Result[];
	readonly tally: ClientTally;
	readonly stats: SimulatorStats;
	readonly elapsedMs: number;
};

/** A group of calls the batch sends knowing they fail: how many, why, and the code they end with. */
type BuiltToFail = {
	readonly purpose: Purpose;
	readonly code: string;
	readonly why: string;
	/** Calls of this purpose that no client can make succeed. */
	readonly count: number;
};

const otherActions: Readonly<Record<string, string>> = {
	NETWORK_ERROR: 'The connection dropped after the request was sent, so the run may have happened: a POST is not resent blindly. Check, then resend.',
	SERVER_ERROR: 'A proxy answered 5xx without a Knouds code: transient, retry with backoff.',
	TIMEOUT: 'No answer in time: retry if the call is idempotent.',
};

// A PROVIDER_SUBMIT_FAILED is named with its provider's status, as in `PROVIDER_SUBMIT_FAILED (422)`.
const actionFor = (name: string): string => {
	const code = name.replace(/ \(\d+\)$/, '');
	return Object.hasOwn(knoudsErrorCatalog, code) ? knoudsErrorCatalog[code as keyof typeof knoudsErrorCatalog].action : otherActions[code] ?? 'See the error\'s message.';
};

const succeeded = (run: Run) => run.results.filter(result => result.ok);

const count = <K>(map: Map<K, number>, key: K): Map<K, number> => map.set(key, (map.get(key) ?? 0) + 1);
const sum = (values: Iterable<number>): number => [...values].reduce((total, value) => total + value, 0);
const listCounts = (map: ReadonlyMap<string, number>): string => [...map].sort(([, a], [, b]) => b - a).map(([key, value]) => `${key} ${value}`).join(', ');
const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
const times = (n: number): string => n === 1 ? 'once' : n === 2 ? 'twice' : `${n} times`;

/** The trial grant the account behind `key` has for `model` in the scenario, if any. */
const grantFor = (scenario: SimulatorScenario, key: string, model: string): number | undefined => {
	const account = scenario.accounts.find(candidate => candidate.keys.some(entry => entry.key === key));
	return account === undefined ? undefined : scenario.tiers[account.tier]?.grants[model];
};

/** The calls of the batch built to fail, grouped by why, counted from the batch and the scenario. */
const builtToFail = (calls: readonly Call[], scenario: SimulatorScenario): BuiltToFail[] => {
	const groups: BuiltToFail[] = [];
	const ofPurpose = (purpose: Purpose) => calls.filter(call => call.purpose === purpose);
	const readOnly = ofPurpose('read-only key').length;
	if (readOnly > 0) {
		groups.push({purpose: 'read-only key', code: 'CAPABILITY_DENIED', why: 'use a key that may only read executions (no `model:run`)', count: readOnly});
	}

	const retired = ofPurpose('retired key').length;
	if (retired > 0) {
		groups.push({purpose: 'retired key', code: 'LEGACY_KEY_RETIRED', why: 'use a key created before May 2026', count: retired});
	}

	const free = ofPurpose('free tier');
	const [first] = free;
	if (first !== undefined) {
		const grant = grantFor(scenario, first.key, first.model) ?? 0;
		groups.push({
			purpose: 'free tier',
			code: 'grant_exhausted',
			why: `are free-tier runs of ${first.model} once its trial grant of ${grant} is used up (${free.length} sent)`,
			count: Math.max(0, free.length - grant),
		});
	}

	return groups;
};

/** Prints text wrapped to the report's width, with a first-line prefix and an indent for the rest. */
export const printWrapped = (text: string, first: string, rest: string, width = 110): void => {
	let current = first;
	for (const word of text.split(' ')) {
		if (current.length + word.length + 1 > width && current.trim() !== first.trim()) {
			console.log(current);
			current = rest;
		}

		current += `${current === first || current === rest ? '' : ' '}${word}`;
	}

	console.log(current);
};

/** Prints what the batch is and who sends it, before it runs. */
export const printPlan = ({calls, concurrency, scenario, clients}: {
	readonly calls: readonly Call[];
	readonly concurrency: number;
	readonly scenario: SimulatorScenario;
	readonly clients: ReadonlyArray<{readonly name: string; readonly description: string}>;
}): void => {
	const groups = builtToFail(calls, scenario);
	const doomed = sum(groups.map(group => group.count));
	const width = Math.max(...groups.map(group => `${group.count} ${group.why}`.length));
	console.log(`${calls.length} model runs, ${concurrency} at a time, against the Knouds API simulator's '${scenario.name}' scenario`);
	console.log('(rate limits, provider failures, proxy error pages, dropped connections, slow answers).\n');
	console.log(`${doomed} of the runs are built to fail, whatever the client does:`);
	for (const group of groups) {
		console.log(`  ${`${group.count} ${group.why}`.padEnd(width)}  -> ${group.code}`);
	}

	console.log(`The other ${calls.length - doomed} can succeed, if the client gets them past the faults.\n`);
	console.log('These clients send it side by side, each to its own simulator with the same seed:');
	const nameWidth = Math.max(...clients.map(({name}) => name.length));
	for (const {name, description} of clients) {
		printWrapped(description, `  ${name.padEnd(nameWidth)}  `, ' '.repeat(nameWidth + 4));
	}

	console.log('');
};

/**
Whether the simulator charged only for runs the client got, each once: every charge is a run the client
saw succeed, or one it saw accepted (an async run whose poll then failed), or an answer the simulator
could not deliver; every success it saw was charged; no run was charged twice.
*/
export const chargesMatch = (run: Run): boolean => {
	const charged = run.stats.charges.map(charge => charge.executionId);
	const got = new Set(run.results.flatMap(result => result.executionId === undefined ? [] : [result.executionId]));
	return new Set(charged).size === charged.length
		&& succeeded(run).every(result => charged.includes(result.executionId))
		&& charged.filter(executionId => !got.has(executionId)).length === run.stats.undelivered;
};

const failuresByCode = (run: Run, where: (index: number) => boolean = () => true): Map<string, number> => {
	const byCode = new Map<string, number>();
	for (const [index, result] of run.results.entries()) {
		if (!result.ok && where(index)) {
			count(byCode, result.code);
		}
	}

	return byCode;
};

/** What the credits charged are made of: runs by model and price, and runs a trial grant paid. */
const creditsExplained = (run: Run): string => {
	const paid = new Map<string, number>();
	const granted = new Map<string, number>();
	for (const charge of run.stats.charges) {
		if (charge.grant) {
			count(granted, charge.model);
		} else {
			count(paid, `${charge.model} at ${plural(charge.credits, 'credit')} each`);
		}
	}

	const parts = [
		...[...paid].map(([what, runs]) => `${plural(runs, 'run')} of ${what}`),
		...[...granted].map(([model, runs]) => `${plural(runs, 'run')} of ${model} paid by a trial grant, which costs no credits`),
	];
	return `${run.name}: ${run.stats.creditsCharged} credits for ${succeeded(run).length} successes = ${parts.join('; ') || 'no runs'}.`;
};

/** Prints the runs side by side, then what the differences mean, all counted from the runs. */
export const printReport = (runs: readonly Run[], calls: readonly Call[], scenario: SimulatorScenario): void => {
	const groups = builtToFail(calls, scenario);
	const builtCodes = new Set(groups.map(group => group.code));
	const budgetStopped = (run: Run): number => run.results.filter(result => !result.ok && result.stopReason === 'retry-budget').length;
	const rows: Array<[string, (run: Run) => string]> = [
		['calls that succeeded', run => String(succeeded(run).length)],
		['calls that failed', run => String(run.results.length - succeeded(run).length)],
		['requests sent', run => String(run.stats.requests)],
		['retries', run => String(sum(run.tally.retriesByCode.values()))],
		...(runs.some(run => budgetStopped(run) > 0) ? [['calls the retry budget stopped', (run: Run) => String(budgetStopped(run))] as [string, (run: Run) => string]] : []),
		['waits before retries, summed', run => seconds(run.tally.waitedMs)],
		['429s received', run => String(run.stats.rateLimited)],
		['credits charged', run => String(run.stats.creditsCharged)],
		['charged only for runs it got', run => chargesMatch(run) ? 'yes, none twice' : 'NO'],
		['time taken', run => seconds(run.elapsedMs)],
	];
	const line = (label: string, cells: readonly string[]): string => `  ${label.padEnd(32)}${cells.map(cell => cell.padStart(17)).join('')}`;
	console.log(`\n${line('', runs.map(run => run.name))}`);
	for (const [label, cell] of rows) {
		console.log(line(label, runs.map(cell)));
	}

	console.log('\n  Waits are summed over calls, and calls wait at the same time, so the sum can pass the time taken.');

	const failures = runs.map(run => failuresByCode(run));
	const names = runs.map(run => run.name).join(' / ');
	const printCodes = (title: string, codes: readonly string[]): void => {
		if (codes.length === 0) {
			return;
		}

		console.log(`\n${title} (${names}), and what each needs:`);
		const total = (code: string): number => sum(failures.map(byCode => byCode.get(code) ?? 0));
		for (const code of [...codes].sort((a, b) => total(b) - total(a))) {
			const counts = failures.map(byCode => String(byCode.get(code) ?? 0)).join(' / ');
			console.log(`  ${code.padEnd(34)}${counts.padStart(14)}   ${actionFor(code)}`);
		}
	};

	const codes = [...new Set(failures.flatMap(byCode => [...byCode.keys()]))];
	printCodes('Failed calls on the codes the batch was built to meet', codes.filter(code => builtCodes.has(code)));
	printCodes('Failed calls on the simulator\'s faults', codes.filter(code => !builtCodes.has(code)));

	console.log('');
	for (const run of runs) {
		console.log(`Retries by code, ${run.name}: ${listCounts(run.tally.retriesByCode) || 'none'}`);
	}

	printExplanations(runs, calls, groups);
};

const isProviderRefusal = (code: string): boolean => /^PROVIDER_SUBMIT_FAILED \(4\d\d\)$/.test(code);

/** Why another client did better or worse than knouds-retry, from what each counted. */
const compared = (run: Run, knouds: Run): string[] => {
	const sentences = [`${succeeded(run).length} calls succeeded, to ${knouds.name}'s ${succeeded(knouds).length}.`];
	const {tally, stats} = run;
	if (!tally.resendsPost) {
		const polls = sum(tally.retriesByCode.values());
		const pollText = polls === 1 ? 'its one retry was a GET poll of an async run' : `its ${polls} retries were GET polls of async runs`;
		sentences.push(`It resent no model run: ky retries only the methods in its \`retry.methods\`, and POST is not among them by default, so each 429 or 5xx on a run ended the call at once${polls > 0 ? ` (${pollText})` : ''}.`);
		if (stats.rateLimited > knouds.stats.rateLimited) {
			sentences.push(`Nothing kept its calls from a full rate limit: it met ${stats.rateLimited} 429s, to ${knouds.name}'s ${knouds.stats.rateLimited}.`);
		}
	} else if (stats.rateLimited > knouds.stats.rateLimited) {
		const requests = stats.requests > knouds.stats.requests ? `, and sent ${stats.requests} requests, to ${knouds.stats.requests}` : '';
		sentences.push(`It met ${stats.rateLimited} 429s, to ${knouds.name}'s ${knouds.stats.rateLimited}${requests}: each of its calls waits out its own \`Retry-After\`, so the waiting calls come back together into the same limit. ${knouds.name}'s calls share one \`Retry-After\` gate and learn how many requests a window admits.`);
	}

	if (tally.postsResentAfterNetworkError > knouds.tally.postsResentAfterNetworkError) {
		sentences.push(`It resent ${plural(tally.postsResentAfterNetworkError, 'model run')} after the connection dropped, not knowing whether the run had happened. The simulator drops such connections before the API acts, so here it cost nothing; against the API a run can be done and charged twice. ${knouds.name} resends a POST after a network error only when the connection failed before anything was sent.`);
	}

	const refusals = sum([...tally.retriesByCode].filter(([code]) => isProviderRefusal(code)).map(([, retries]) => retries));
	if (refusals > 0) {
		sentences.push(`It retried PROVIDER_SUBMIT_FAILED ${times(refusals)} after the provider had refused the submission with a 4xx, which a real provider refuses again; the simulator draws each submit's fate afresh, so here such a retry can get through. ${knouds.name} retries PROVIDER_SUBMIT_FAILED only when \`providerStatus\` is 5xx or 429.`);
	}

	const spent = new Map<string, number>();
	for (const result of knouds.results) {
		if (!result.ok && result.stopReason === 'retries-exhausted') {
			count(spent, result.code);
		}
	}

	if (spent.size > 0 && succeeded(run).length > succeeded(knouds).length) {
		sentences.push(`${knouds.name} gave up on ${plural(sum(spent.values()), 'call')} once the policy's retries for the code were spent (${listCounts(spent)}); its \`policy\` option sets how many.`);
	}

	return sentences;
};

const printExplanations = (runs: readonly Run[], calls: readonly Call[], groups: readonly BuiltToFail[]): void => {
	const doomed = sum(groups.map(group => group.count));
	const codeOf = new Map(groups.map(group => [group.purpose, group.code]));
	console.log('\nWhat the differences mean:');

	console.log('');
	printWrapped(`Calls built to fail (${doomed}). The simulator checks a request's rate limit before the key's capabilities and its billing, and a proxy page or a dropped connection comes before the API sees the request at all: a call that stops at one of those never hears what is really wrong. So the further a client gets, the more CAPABILITY_DENIED and grant_exhausted it meets:`, '- ', '  ');
	for (const run of runs) {
		let heard = 0;
		const earlier = new Map<string, number>();
		for (const [index, result] of run.results.entries()) {
			const expected = codeOf.get(calls[index]?.purpose ?? 'pro');
			if (expected !== undefined && !result.ok) {
				count(earlier, result.code === expected ? '' : result.code);
				heard += result.code === expected ? 1 : 0;
			}
		}

		earlier.delete('');
		const stopped = sum(earlier.values());
		printWrapped(`${run.name}: ${heard} heard the code they were built for${stopped === 0 ? '.' : `; ${plural(stopped, 'call')} with those keys stopped earlier, on ${listCounts(earlier)}.`}`, '    ', '      ');
	}

	const healthy = calls.filter(call => call.purpose === 'pro').length;
	console.log('');
	printWrapped(`Healthy Pro runs (${healthy}): how many succeeded, and what stopped the others.`, '- ', '  ');
	for (const run of runs) {
		const faults = failuresByCode(run, index => calls[index]?.purpose === 'pro');
		const failed = sum(faults.values());
		printWrapped(`${run.name}: ${healthy - failed} succeeded${failed === 0 ? '.' : `; ${failed} failed, on ${listCounts(faults)}.`}`, '    ', '      ');
	}

	const [knouds, ...others] = runs;
	if (knouds !== undefined) {
		for (const run of others) {
			console.log('');
			printWrapped(`${run.name} against ${knouds.name}. ${compared(run, knouds).join(' ')}`, '- ', '  ');
		}
	}

	console.log('');
	printWrapped('Credits. The simulator charges each successful run once, at its model\'s price, unless a trial grant pays for it; so credits and successes differ by the runs a grant paid:', '- ', '  ');
	for (const run of runs) {
		printWrapped(creditsExplained(run), '    ', '      ');
	}
};
