import ky, {isHTTPError, isTimeoutError, type KyInstance} from 'ky';
import {isKnoudsError, knoudsRetry} from 'knouds-retry';
import type {Call, Result} from './batch.ts';

/** What a client counts while it runs, besides the results. */
export type ClientTally = {
	readonly retriesByCode: Map<string, number>;
	/** Milliseconds the client spent waiting between attempts, summed over calls; `undefined` when it cannot tell. */
	waitedMs: number | undefined;
};

const codeOfBody = (body: unknown): string | undefined =>
	typeof body === 'object' && body !== null && 'code' in body && typeof body.code === 'string' ? body.code : undefined;

// Both clients' failures are named the same way: the Knouds code, else what the failure was.
const failureCode = (error: unknown): string => {
	if (isKnoudsError(error) || isHTTPError(error)) {
		const {status} = error.response;
		return codeOfBody(error.data) ?? (status >= 500 ? 'SERVER_ERROR' : `HTTP ${status} (no code)`);
	}

	return isTimeoutError(error) ? 'TIMEOUT' : 'NETWORK_ERROR';
};

type Run = {executionId: string; status: string; creditsCharged?: number};
type Execution = {status: string; code?: string};

// An async run is only a success once its execution has succeeded: poll it (the simulator's runs take no time).
const sender = (api: KyInstance) => async (call: Call): Promise<Result> => {
	const headers = {'x-api-key': call.key};
	let accepted: string | undefined;
	try {
		const run = await api.post(`v1/models/${call.model}/run`, {
			headers,
			searchParams: call.async ? {async: 'true'} : {},
			json: {inputs: {prompt: 'a lighthouse at dusk', call: call.id}},
		}).json<Run>();
		accepted = run.executionId;
		const execution: Execution = run.status === 'running' ? await api.get(`v1/executions/${run.executionId}`, {headers}).json<Execution>() : run;
		return execution.status === 'succeeded'
			? {ok: true, executionId: run.executionId, creditsCharged: run.creditsCharged ?? 0}
			: {ok: false, code: execution.code ?? `execution ${execution.status}`, executionId: run.executionId};
	} catch (error) {
		// An async run that was accepted (and charged) but whose poll failed still names its execution.
		return {ok: false, code: failureCode(error), stoppedByBudget: isKnoudsError(error) && error.stopReason === 'retry-budget', ...(accepted === undefined ? {} : {executionId: accepted})};
	}
};

const count = (map: Map<string, number>, key: string): void => {
	map.set(key, (map.get(key) ?? 0) + 1);
};

/** The client this project makes: ky wrapped by knoudsRetry with its default policy. */
export const knoudsClient = (url: string): {send: (call: Call) => Promise<Result>; tally: ClientTally} => {
	const tally: ClientTally = {retriesByCode: new Map(), waitedMs: 0};
	const api = knoudsRetry(ky.create({baseUrl: `${url}/`}), {
		onRetry(event) {
			count(tally.retriesByCode, event.code ?? 'other');
			tally.waitedMs = (tally.waitedMs ?? 0) + event.delay;
		},
	});
	return {send: sender(api), tally};
};

/** The baseline: a plain ky client with ky's default retry (which never resends a POST). */
export const plainKyClient = (url: string): {send: (call: Call) => Promise<Result>; tally: ClientTally} => {
	const tally: ClientTally = {retriesByCode: new Map(), waitedMs: undefined};
	const api = ky.create({
		baseUrl: `${url}/`,
		hooks: {
			beforeRetry: [({error}) => {
				count(tally.retriesByCode, failureCode(error));
			}],
		},
	});
	return {send: sender(api), tally};
};
