import {apiError, jsonObject, type Reply} from './reply.js';
import {randomUuid, type Random} from './random.js';
import type {Account, State} from './state.js';
import type {SimulatorFaults, SimulatorModel} from './types.js';

/** What a run needs besides the state: the faults to draw from, the random source and the time. */
export type RunEnvironment = {
	readonly faults: SimulatorFaults;
	readonly random: Random;
	readonly now: number;
};

// A Free user's trial grant pays for the model if the tier has one; otherwise credits do. Returns the refusal, if any.
const grantOf = (account: Account, model: SimulatorModel): number | undefined =>
	Object.hasOwn(account.tier.grants, model.internalName) ? account.tier.grants[model.internalName] : undefined;

const billingRefusal = (account: Account, model: SimulatorModel): Reply | undefined => {
	const grant = grantOf(account, model);
	if (grant !== undefined) {
		return (account.grantsUsed.get(model.internalName) ?? 0) >= grant
			? apiError(402, 'grant_exhausted', `The ${account.tierName} tier's trial grant for ${model.internalName} is used up`)
			: undefined;
	}

	return account.credits < model.price ? apiError(402, 'INSUFFICIENT_CREDITS', 'Insufficient credits', {}) : undefined;
};

const charge = (state: State, account: Account, model: SimulatorModel, executionId: string): Record<string, unknown> => {
	const grant = grantOf(account, model);
	if (grant === undefined) {
		account.credits -= model.price;
		state.ledger.push({executionId, accountId: account.id, model: model.internalName, credits: model.price, grant: false});
		return {creditsCharged: model.price, creditsRemaining: account.credits};
	}

	const used = (account.grantsUsed.get(model.internalName) ?? 0) + 1;
	account.grantsUsed.set(model.internalName, used);
	state.ledger.push({executionId, accountId: account.id, model: model.internalName, credits: 0, grant: true});
	return {creditsCharged: 0, grantRunsRemaining: grant - used};
};

/**
Runs a model for an authorised account, from body validation to the charge: the part model runs and
workflow runs share. Faults are drawn in a fixed order so that a seed replays the same run.
*/
export const runModel = (state: State, account: Account, model: SimulatorModel, body: string, isAsync: boolean, {faults, random, now}: RunEnvironment): Reply => {
	const parsed = jsonObject(body);
	if (parsed === undefined) {
		return apiError(400, 'INVALID_BODY', 'Request body must be a JSON object');
	}

	const {inputs} = parsed;
	if (typeof inputs !== 'object' || inputs === null || Array.isArray(inputs)) {
		return apiError(400, 'INVALID_INPUTS', '`inputs` must be a non-array object');
	}

	if (isAsync && !model.async) {
		return apiError(400, 'ASYNC_NOT_SUPPORTED', `The provider of ${model.internalName} has no polling-based async mode`);
	}

	const refusal = billingRefusal(account, model);
	if (refusal !== undefined) {
		return refusal;
	}

	const failed = random() < faults.executionFailed;
	const incomplete = random() < faults.providerIncomplete;
	const submitFailed = random() < faults.providerSubmitFailed;
	const providerStatus = faults.providerStatuses[Math.floor(random() * faults.providerStatuses.length)] ?? 500;
	if (isAsync && submitFailed) {
		return apiError(500, 'PROVIDER_SUBMIT_FAILED', `Provider rejected the submit with ${providerStatus}`, {providerStatus, providerBody: JSON.stringify({error: `upstream ${providerStatus}`})});
	}

	if (failed) {
		return apiError(500, 'EXECUTION_FAILED', `Provider call for ${model.internalName} failed: upstream timed out`);
	}

	const executionId = randomUuid(random);
	const output = {model: model.internalName, echo: inputs};
	if (isAsync) {
		// An async run's outcome is decided at submit; a poll shows it once the run time has passed.
		const result = incomplete
			? {status: 'failed', code: 'PROVIDER_RESPONSE_INCOMPLETE', error: 'Provider output lacked the expected result; no credits were charged'} as const
			: {status: 'succeeded', output} as const;
		state.executions.set(executionId, {id: executionId, accountId: account.id, model: model.internalName, readyAt: now + model.runMs, result});
		const billing = incomplete ? {} : charge(state, account, model, executionId);
		return {status: 202, body: {executionId, status: 'running', ...billing}, charged: !incomplete};
	}

	if (incomplete) {
		return apiError(500, 'PROVIDER_RESPONSE_INCOMPLETE', 'Provider output lacked the expected result; no credits were charged');
	}

	// Kept, so that a sync run's execution can be read back like an async one.
	state.executions.set(executionId, {id: executionId, accountId: account.id, model: model.internalName, readyAt: now, result: {status: 'succeeded', output}});
	return {status: 200, body: {executionId, status: 'succeeded', output, ...charge(state, account, model, executionId)}, delayMs: model.runMs, charged: true};
};
