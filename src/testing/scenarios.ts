import {defaultPaths} from './router.js';
import type {ScenarioName, SimulatorAccount, SimulatorFaults, SimulatorModel, SimulatorScenario, SimulatorTier} from './types.js';

const freeCeiling = ['model:run', 'execution:read', 'workflow:create', 'workflow:run'];

const tiers: Readonly<Record<string, SimulatorTier>> = {
	free: {requestsPerWindow: 60, maxWorkflows: 1, canCreateKeys: false, capabilityCeiling: freeCeiling, grants: {'text-small': 25, 'image-fast': 5}},
	pro: {requestsPerWindow: 600, maxWorkflows: null, canCreateKeys: true, capabilityCeiling: [...freeCeiling, 'key:create'], grants: {}},
	enterprise: {requestsPerWindow: 6000, maxWorkflows: null, canCreateKeys: true, capabilityCeiling: [...freeCeiling, 'key:create', 'model:manage'], grants: {}},
};

// Keys created from May 2026 on are current; the legacy key predates the cut-off.
const current = '2026-06-01T00:00:00.000Z';
const proCapabilities = [...freeCeiling, 'key:create'];

const accounts: readonly SimulatorAccount[] = [
	{id: 'pro-user', tier: 'pro', credits: 1_000_000, keys: [
		{key: 'sim-pro-key', createdAt: current, capabilities: proCapabilities},
		{key: 'sim-read-only-key', createdAt: current, capabilities: ['execution:read']},
		{key: 'sim-legacy-key', createdAt: '2026-03-15T00:00:00.000Z', capabilities: proCapabilities},
	]},
	{id: 'free-user', tier: 'free', credits: 100, keys: [{key: 'sim-free-key', createdAt: current, capabilities: freeCeiling}]},
	{id: 'broke-user', tier: 'pro', credits: 0, keys: [{key: 'sim-broke-key', createdAt: current, capabilities: proCapabilities}]},
];

const models: readonly SimulatorModel[] = [
	{internalName: 'text-small', enabled: true, minTier: 'free', price: 1, async: true, runMs: 0},
	{internalName: 'image-fast', enabled: true, minTier: 'free', price: 4, async: false, runMs: 0},
	{internalName: 'video-pro', enabled: true, minTier: 'pro', price: 50, async: true, runMs: 0},
	{internalName: 'text-retired', enabled: false, minTier: 'free', price: 1, async: true, runMs: 0},
];

const noFaults: SimulatorFaults = {
	executionFailed: 0,
	providerIncomplete: 0,
	providerSubmitFailed: 0,
	providerStatuses: [503, 429, 422],
	proxyError: 0,
	resetBeforeRead: 0,
	resetAfterRead: 0,
	slow: 0,
	slowMs: 0,
	outage: null,
};

const base: SimulatorScenario = {
	name: 'default',
	seed: 1,
	rateLimit: {algorithm: 'fixed-window', windowMs: 60_000},
	tiers,
	accounts,
	models,
	faults: noFaults,
	paths: defaultPaths,
};

// Limits scaled down so that windows pass in seconds, keeping the tiers' ratios: with Pro at 20 per
// 2-second window, Free gets 2 and Enterprise 200.
const scaledTiers = (proPerWindow: number): Readonly<Record<string, SimulatorTier>> =>
	Object.fromEntries(Object.entries(tiers).map(([name, tier]) => [name, {...tier, requestsPerWindow: Math.max(1, Math.round(tier.requestsPerWindow * proPerWindow / 600))}]));

/**
The scenarios that ship with the simulator. Each is plain data: copy one and change it to make your own.

- `default`: a healthy API with real per-minute limits and no faults.
- `rate-limited`: Pro users may send 20 requests per 2-second fixed window; nothing else goes wrong.
- `flaky-provider`: 10% EXECUTION_FAILED, 2% PROVIDER_RESPONSE_INCOMPLETE, 10% PROVIDER_SUBMIT_FAILED on async submits.
- `outage`: every request gets 500 EXECUTION_FAILED from 1 s to 6 s after start.
- `chaos`: everything at once, on a token-bucket limiter: provider failures, proxy pages, resets, slow responses.
*/
export const scenarios: Readonly<Record<ScenarioName, SimulatorScenario>> = {
	default: base,
	'rate-limited': {...base, name: 'rate-limited', rateLimit: {algorithm: 'fixed-window', windowMs: 2000}, tiers: scaledTiers(20)},
	'flaky-provider': {...base, name: 'flaky-provider', faults: {...noFaults, executionFailed: 0.1, providerIncomplete: 0.02, providerSubmitFailed: 0.1}},
	outage: {...base, name: 'outage', faults: {...noFaults, outage: {startMs: 1000, durationMs: 5000, respond: 'execution-failed'}}},
	chaos: {
		...base,
		name: 'chaos',
		rateLimit: {algorithm: 'token-bucket', windowMs: 2000},
		tiers: scaledTiers(100),
		faults: {
			...noFaults,
			executionFailed: 0.05,
			providerIncomplete: 0.02,
			providerSubmitFailed: 0.05,
			proxyError: 0.02,
			resetBeforeRead: 0.005,
			resetAfterRead: 0.005,
			slow: 0.05,
			slowMs: 250,
		},
	},
};
