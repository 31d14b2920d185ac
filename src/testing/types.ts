import type {RoutePaths} from './router.js';

/**
A plan tier of the simulated API: what its users may do and how fast.
*/
export type SimulatorTier = {
	/** Requests a user of this tier may send per rate-limit window (`rateLimit.windowMs`: a minute unless the scenario scales it down). */
	readonly requestsPerWindow: number;
	/** How many workflows a user may own. `null` means no cap. */
	readonly maxWorkflows: number | null;
	/** Whether users of this tier may create API keys (`POST /v1/keys`); if not, API_KEY_ACCESS_DENIED. */
	readonly canCreateKeys: boolean;
	/** The capabilities a key of this tier may hold; asking for more at key creation is CAPABILITY_ABOVE_CEILING. */
	readonly capabilityCeiling: readonly string[];
	/** Trial grants: free runs per model. A model with a grant is billed to it, and grant_exhausted follows its last run. */
	readonly grants: Readonly<Record<string, number>>;
};

/**
One API key the simulator accepts.
*/
export type SimulatorKey = {
	/** The `x-api-key` value. */
	readonly key: string;
	/** When the key was created, as an ISO date. Keys from before May 2026 are answered with LEGACY_KEY_RETIRED. */
	readonly createdAt: string;
	/** Capability strings such as `model:run` or `model:run:text-small`. */
	readonly capabilities: readonly string[];
};

/**
A user of the simulated API, with a tier, a credit balance and keys.
*/
export type SimulatorAccount = {
	readonly id: string;
	/** A key of the scenario's `tiers`. */
	readonly tier: string;
	/** The starting credit balance. */
	readonly credits: number;
	readonly keys: readonly SimulatorKey[];
};

/**
A model in the simulated registry.
*/
export type SimulatorModel = {
	/** The internalName in `POST /v1/models/:internalName/run`. */
	readonly internalName: string;
	/** A disabled model answers MODEL_NOT_FOUND, as if it did not exist. */
	readonly enabled: boolean;
	/** The lowest tier that may run it, a key of the scenario's `tiers`; lower tiers get MODEL_TIER_REQUIRED. */
	readonly minTier: string;
	/** Credits charged per successful run (when no trial grant applies). */
	readonly price: number;
	/** Whether its provider supports polling-based async (`?async=true`); if not, ASYNC_NOT_SUPPORTED. */
	readonly async: boolean;
	/** How long a run takes: a sync response waits this long, an async execution stays `running` this long. */
	readonly runMs: number;
};

/**
Faults the simulator injects, each with its own rate in [0, 1]. Rates are drawn from the scenario's seeded
random source in the order requests arrive.
*/
export type SimulatorFaults = {
	/** Runs that fail with 500 EXECUTION_FAILED. Nothing is charged. */
	readonly executionFailed: number;
	/** Runs that fail with 500 PROVIDER_RESPONSE_INCOMPLETE. Nothing is charged, as the API documents. */
	readonly providerIncomplete: number;
	/** Async submits that fail with 500 PROVIDER_SUBMIT_FAILED, with a `providerStatus` drawn from `providerStatuses`. */
	readonly providerSubmitFailed: number;
	/** The upstream statuses PROVIDER_SUBMIT_FAILED reports. */
	readonly providerStatuses: readonly number[];
	/** Requests answered by the proxy in front of the API with an HTML 502 or 503 page, on any route. */
	readonly proxyError: number;
	/** Connections destroyed as soon as the request line and headers arrive, before the body is read. */
	readonly resetBeforeRead: number;
	/** Connections destroyed after the whole request was read, before the API acted on it. Nothing is charged. */
	readonly resetAfterRead: number;
	/** Responses held back by `slowMs` after the API has acted (a charge stands even if the client gives up). */
	readonly slow: number;
	readonly slowMs: number;
	/**
	A window, in milliseconds from the simulator's start, in which every request meets the outage:
	`execution-failed` (500 EXECUTION_FAILED from the API), `proxy-503` (an HTML page) or `reset`.
	`null` for none.
	*/
	readonly outage: {readonly startMs: number; readonly durationMs: number; readonly respond: 'execution-failed' | 'proxy-503' | 'reset'} | null;
};

/**
How the per-minute request limit is enforced. The Knouds documentation does not say, so three models are
offered, for a rate controller to be tested against each.
*/
export type SimulatorRateLimit = {
	/**
	- `fixed-window`: a tier's limit per window, the count reset on each window boundary (aligned to the clock).
	- `token-bucket`: a bucket of `burst` tokens refilled continuously at the tier's limit per window.
	- `sliding-log`: at most the tier's limit in any rolling window, counted from a log of admission times.
	*/
	readonly algorithm: 'fixed-window' | 'token-bucket' | 'sliding-log';
	/** The window length in milliseconds. Scale it down (with the tiers' limits) for fast tests. */
	readonly windowMs: number;
	/**
	The token bucket's capacity in requests, an integer of at least 1, the same for every tier: how many a
	rested user may send at once, while the refill stays the tier's limit per window. Only with `token-bucket`.
	@default the tier's `requestsPerWindow`
	*/
	readonly burst?: number;
};

/**
Everything a simulator run is made of: its world (tiers, accounts, models), its rate limiter and its faults.
*/
export type SimulatorScenario = {
	readonly name: string;
	/** The seed of every random choice the simulator makes. */
	readonly seed: number;
	readonly rateLimit: SimulatorRateLimit;
	readonly tiers: Readonly<Record<string, SimulatorTier>>;
	readonly accounts: readonly SimulatorAccount[];
	readonly models: readonly SimulatorModel[];
	readonly faults: SimulatorFaults;
	/**
	The path each route is served at. The Knouds docs publish no paths, so these are configurable: keep a
	route's parameter, as in `{'POST /v1/models/:internalName/run': '/api/run/:internalName'}`.
	*/
	readonly paths: RoutePaths;
};

/** The scenarios that ship with the simulator. */
export type ScenarioName = 'default' | 'rate-limited' | 'flaky-provider' | 'outage' | 'chaos';

/**
A scenario to run: a named one, or a partial one laid over a named base (`extends`, default `'default'`).
`faults`, `rateLimit` and `paths` are merged field by field; `tiers`, `accounts` and `models` replace the base's when given.
*/
export type ScenarioInput = ScenarioName | (Partial<Omit<SimulatorScenario, 'faults' | 'rateLimit' | 'paths'>> & {
	readonly extends?: ScenarioName;
	readonly faults?: Partial<SimulatorFaults>;
	readonly rateLimit?: Partial<SimulatorRateLimit>;
	readonly paths?: Partial<RoutePaths>;
});
