import type {RouteName} from './router.js';
import type {Charge} from './state.js';

/**
How a request ended: the Knouds code of its answer, `ok` for a 2xx, `unauthorized` and `not-found` for the
codeless 401 and 404, or a fault that kept it from the API.
*/
export type RequestOutcome = string;

/**
What the simulator has seen and done since it started.
*/
export type SimulatorStats = {
	/** Requests received, whatever became of them. */
	readonly requests: number;
	/** Requests by route, then by outcome. */
	readonly byRoute: Readonly<Partial<Record<RouteName, Readonly<Record<RequestOutcome, number>>>>>;
	/** Requests by outcome, over all routes. */
	readonly byOutcome: Readonly<Record<RequestOutcome, number>>;
	/** 429 RATE_LIMIT_EXCEEDED answers sent. */
	readonly rateLimited: number;
	/** Runs that succeeded and were billed (sync runs answered 200, async executions that will succeed). */
	readonly successfulRuns: number;
	/** Credits taken from balances, over all accounts. */
	readonly creditsCharged: number;
	/** Every charge, in order: one per successful run. */
	readonly charges: readonly Charge[];
	/** Answers the API produced but could not deliver, because the client had gone (it aborted or timed out). */
	readonly undelivered: number;
};

/** Counts requests by route and outcome. */
export const createCounter = () => {
	const byRoute: Partial<Record<RouteName, Record<RequestOutcome, number>>> = {};
	const byOutcome: Record<RequestOutcome, number> = {};
	let requests = 0;
	let undelivered = 0;
	return {
		count(route: RouteName, outcome: RequestOutcome): void {
			requests++;
			const perRoute = byRoute[route] ??= {};
			perRoute[outcome] = (perRoute[outcome] ?? 0) + 1;
			byOutcome[outcome] = (byOutcome[outcome] ?? 0) + 1;
		},
		undelivered(): void {
			undelivered++;
		},
		snapshot(charges: readonly Charge[]): SimulatorStats {
			return structuredClone({
				requests,
				byRoute,
				byOutcome,
				rateLimited: byOutcome['RATE_LIMIT_EXCEEDED'] ?? 0,
				successfulRuns: charges.length,
				creditsCharged: charges.reduce((sum, charge) => sum + charge.credits, 0),
				charges,
				undelivered,
			});
		},
	};
};

/** The outcome of an answer from the API: its code, or what its status means. */
export const outcomeOf = (status: number, body: Readonly<Record<string, unknown>>): RequestOutcome => {
	const {code} = body;
	if (typeof code === 'string') {
		return code;
	}

	if (status < 300) {
		return 'ok';
	}

	return status === 401 ? 'unauthorized' : 'not-found';
};
