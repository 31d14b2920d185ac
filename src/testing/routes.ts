import {allows, baseCapability, slugPattern} from './capabilities.js';
import {retryAfterSeconds} from './limiter.js';
import {randomUuid} from './random.js';
import {apiError, codelessError, jsonObject, type ApiRequest, type Reply} from './reply.js';
import {runModel, type RunEnvironment} from './run.js';
import type {RouteName} from './router.js';
import type {Account, State} from './state.js';
import type {SimulatorModel} from './types.js';

type Context = {readonly state: State; readonly account: Account; readonly capabilities: readonly string[]; readonly request: ApiRequest; readonly param: string; readonly environment: RunEnvironment};

const denied = (required: string): Reply => apiError(403, 'CAPABILITY_DENIED', 'Insufficient capability', {required});
const uuidPattern = /^[\da-f]{8}-[\da-f]{4}-[\da-f]{4}-[\da-f]{4}-[\da-f]{12}$/i;

// The checks model runs and workflow runs share, in the documented order: the slug in the URL, the
// capability, then the model behind it (found by `find`), whether it is enabled and within the tier.
const checkedRun = (context: Context, kind: 'model' | 'workflow', find: () => SimulatorModel | Reply): Reply => {
	const {state, account, capabilities, request, param, environment} = context;
	if (!slugPattern.test(param)) {
		return apiError(400, 'INVALID_SLUG', `Invalid ${kind === 'model' ? 'model internalName' : 'workflow slug'} '${param}'`);
	}

	if (!allows(capabilities, `${kind}:run`, param)) {
		return denied(`${kind}:run`);
	}

	const model = find();
	if ('status' in model) {
		return model;
	}

	if (!model.enabled) {
		return apiError(404, 'MODEL_NOT_FOUND', `No enabled model '${model.internalName}'`);
	}

	if (state.tierRank(account.tierName) < state.tierRank(model.minTier)) {
		return apiError(403, 'MODEL_TIER_REQUIRED', `${model.internalName} needs the ${model.minTier} tier`);
	}

	return runModel(state, account, model, request.body, request.url.searchParams.get('async') === 'true', environment);
};

const runByModel = (context: Context): Reply => checkedRun(context, 'model', () =>
	context.state.models.get(context.param) ?? apiError(404, 'MODEL_NOT_FOUND', `No enabled model '${context.param}'`));

const runByWorkflow = (context: Context): Reply => checkedRun(context, 'workflow', () => {
	const workflow = context.account.workflows.get(context.param);
	return (workflow === undefined ? undefined : context.state.models.get(workflow.model)) ?? codelessError(404, `Workflow '${context.param}' not found`);
});

const createWorkflow = ({state, account, capabilities, request}: Context): Reply => {
	if (!allows(capabilities, 'workflow:create')) {
		return denied('workflow:create');
	}

	const {slug, model} = jsonObject(request.body) ?? {};
	if (typeof slug !== 'string' || typeof model !== 'string') {
		return apiError(400, 'INVALID_BODY', 'Expected a JSON object with `slug` and `model` strings');
	}

	if (!slugPattern.test(slug)) {
		return apiError(400, 'INVALID_SLUG', `Invalid workflow slug '${slug}'`);
	}

	if (state.models.get(model)?.enabled !== true) {
		return apiError(404, 'MODEL_NOT_FOUND', `No enabled model '${model}'`);
	}

	// Creating a workflow that exists is answered with it, so that a resent create is harmless.
	const existing = account.workflows.get(slug);
	if (existing !== undefined) {
		return {status: 200, body: {...existing}};
	}

	const cap = account.tier.maxWorkflows;
	if (cap !== null && account.workflows.size >= cap) {
		return apiError(403, 'WORKFLOW_CAP_REACHED', `The ${account.tierName} tier allows ${cap} workflow${cap === 1 ? '' : 's'}`);
	}

	const workflow = {slug, model};
	account.workflows.set(workflow.slug, workflow);
	return {status: 201, body: {...workflow}};
};

const createKey = ({state, account, capabilities, request, environment}: Context): Reply => {
	if (!account.tier.canCreateKeys) {
		return apiError(403, 'API_KEY_ACCESS_DENIED', `The ${account.tierName} tier may not create API keys`);
	}

	if (!allows(capabilities, 'key:create')) {
		return denied('key:create');
	}

	const requested = jsonObject(request.body)?.['capabilities'];
	if (!Array.isArray(requested) || requested.length === 0 || !requested.every(item => typeof item === 'string')) {
		return apiError(400, 'INVALID_BODY', 'Expected a JSON object with a non-empty `capabilities` array of strings');
	}

	const malformed = requested.find(capability => baseCapability(capability) === undefined);
	if (malformed !== undefined) {
		return apiError(400, 'INVALID_CAPABILITY', `Malformed capability '${malformed}'`);
	}

	const attempted = requested.find(capability => !account.tier.capabilityCeiling.includes(baseCapability(capability) ?? capability));
	if (attempted !== undefined) {
		return apiError(403, 'CAPABILITY_ABOVE_CEILING', `'${attempted}' is above the ${account.tierName} tier's ceiling`, {attempted});
	}

	const key = {key: `sim-${randomUuid(environment.random)}`, createdAt: new Date(environment.now).toISOString(), capabilities: [...requested]};
	// A key issued during the run is current whatever the simulator's clock says.
	state.keys.set(key.key, {key, account, issued: true});
	return {status: 201, body: {...key}};
};

const readExecution = ({state, account, capabilities, param, environment}: Context): Reply => {
	if (!allows(capabilities, 'execution:read')) {
		return denied('execution:read');
	}

	const execution = uuidPattern.test(param) ? state.executions.get(param.toLowerCase()) : undefined;
	if (execution?.accountId !== account.id) {
		return apiError(404, 'EXECUTION_NOT_FOUND', `Execution '${param}' not found`);
	}

	const {id, model, readyAt, result} = execution;
	return {status: 200, body: environment.now < readyAt ? {executionId: id, model, status: 'running'} : {executionId: id, model, ...result}};
};

const handlers: Readonly<Record<Exclude<RouteName, 'unknown'>, (context: Context) => Reply>> = {
	'POST /v1/models/:internalName/run': runByModel,
	'GET /v1/executions/:id': readExecution,
	'POST /v1/workflows': createWorkflow,
	'POST /v1/workflows/:slug/run': runByWorkflow,
	'POST /v1/keys': createKey,
};

// Keys created before this instant are retired.
const legacyCutoff = Date.parse('2026-05-01T00:00:00.000Z');

/** Answers one request to a route: authentication, the account's rate limit, then the route's handler. */
export const handle = (state: State, request: ApiRequest, environment: RunEnvironment, {route, param}: {readonly route: RouteName; readonly param: string}): Reply => {
	const entry = request.apiKey === undefined ? undefined : state.keys.get(request.apiKey);
	if (entry === undefined) {
		return codelessError(401, 'Missing or invalid API key');
	}

	if (entry.issued !== true && Date.parse(entry.key.createdAt) < legacyCutoff) {
		return apiError(401, 'LEGACY_KEY_RETIRED', 'This API key was created before May 2026 and is retired');
	}

	const waitMs = entry.account.limiter.take(environment.now);
	if (waitMs > 0) {
		return apiError(429, 'RATE_LIMIT_EXCEEDED', 'Rate limit exceeded', {}, {'retry-after': retryAfterSeconds(waitMs)});
	}

	if (route === 'unknown') {
		return {status: 404, body: {error: `No route ${request.method} ${request.url.pathname} in the simulator`}};
	}

	return handlers[route]({state, account: entry.account, capabilities: entry.key.capabilities, request, param, environment});
};
