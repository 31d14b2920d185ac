import {createLimiter, type Limiter} from './limiter.js';
import type {SimulatorKey, SimulatorModel, SimulatorScenario, SimulatorTier} from './types.js';

/** A user's live state: balance, grant use, workflows and the rate limiter. */
export type Account = {
	readonly id: string;
	readonly tierName: string;
	readonly tier: SimulatorTier;
	credits: number;
	readonly grantsUsed: Map<string, number>;
	readonly workflows: Map<string, {readonly slug: string; readonly model: string}>;
	readonly limiter: Limiter;
};

/** An async execution, decided when it is submitted and visible as `running` until its run time has passed. */
export type Execution = {
	readonly id: string;
	readonly accountId: string;
	readonly model: string;
	readonly readyAt: number;
	readonly result: {readonly status: 'succeeded'; readonly output: unknown} | {readonly status: 'failed'; readonly code: string; readonly error: string};
};

/** One charge: a successful run billed in credits or to a trial grant. */
export type Charge = {
	readonly executionId: string;
	readonly accountId: string;
	readonly model: string;
	/** Credits taken from the balance; 0 when a trial grant paid. */
	readonly credits: number;
	readonly grant: boolean;
};

/** The simulated API's state: everything the error codes are decided from. */
export type State = ReturnType<typeof createState>;

/** Builds the live state of a scenario's world. */
export const createState = (scenario: SimulatorScenario) => {
	const accounts = new Map<string, Account>();
	const keys = new Map<string, {readonly key: SimulatorKey; readonly account: Account; readonly issued?: true}>();
	for (const {id, tier: tierName, credits, keys: accountKeys} of scenario.accounts) {
		const tier = scenario.tiers[tierName];
		if (tier === undefined) {
			throw new TypeError(`Account '${id}' has the unknown tier '${tierName}'.`);
		}

		const account: Account = {id, tierName, tier, credits, grantsUsed: new Map(), workflows: new Map(), limiter: createLimiter(scenario.rateLimit, tier.requestsPerWindow)};
		accounts.set(id, account);
		for (const key of accountKeys) {
			keys.set(key.key, {key, account});
		}
	}

	const tierNames = Object.keys(scenario.tiers);
	return {
		accounts,
		keys,
		models: new Map<string, SimulatorModel>(scenario.models.map(model => [model.internalName, model])),
		executions: new Map<string, Execution>(),
		ledger: [] as Charge[],
		/** Tiers rank in the order the scenario lists them: a later tier includes an earlier one. */
		tierRank: (name: string): number => tierNames.indexOf(name),
	};
};
