import ky from 'ky';
import {createKnoudsFetch, isKnoudsError, knoudsRetry, toKnoudsError, type KnoudsError, type KnoudsFetchOptions} from '../../../src/index.js';
import type {Outcome} from '../../support/surfaces.js';
import {createKnoudsSimulator, type KnoudsSimulator, type KnoudsSimulatorOptions} from '../../../src/testing/index.js';

/** One request to the simulator, as a test describes it, whichever surface sends it. */
export type SimCall = {
	/** The `x-api-key`; `undefined` sends no key at all. */
	readonly key: string | undefined;
	readonly method: 'GET' | 'POST';
	/** Relative to the simulator's URL, without a leading slash; may carry a query. */
	readonly path: string;
	/** A value sent as a JSON body. */
	readonly json?: unknown;
	/** A raw body, sent as `application/json` whatever it holds. */
	readonly body?: string;
	readonly signal?: AbortSignal;
};

// How a call ended: the unit tests' shape (a type only, so nothing of their nock setup comes along).
export type {Outcome} from '../../support/surfaces.js';

export type Surface = {
	readonly name: string;
	readonly run: (url: string, call: SimCall, options?: KnoudsFetchOptions) => Promise<Outcome>;
};

const parse = async (response: Response): Promise<unknown> => {
	const text = await response.text();
	return text === '' ? undefined : JSON.parse(text) as unknown;
};

const bodyHeaders = (call: SimCall): Record<string, string> =>
	call.json === undefined && call.body === undefined ? {} : {'content-type': 'application/json'};

const viaKy: Surface = {
	name: 'knoudsRetry(ky)',
	async run(url, call, options = {}) {
		const {fetch, timeout, totalTimeout, ...rest} = options;
		const api = knoudsRetry(ky.create({
			baseUrl: `${url}/`,
			headers: call.key === undefined ? {} : {'x-api-key': call.key},
			...(fetch === undefined ? {} : {fetch}),
			...(timeout === undefined ? {} : {timeout}),
			...(totalTimeout === undefined ? {} : {totalTimeout}),
		}), rest);
		try {
			const response = await api(call.path, {
				method: call.method,
				...(call.json === undefined ? {} : {json: call.json}),
				...(call.body === undefined ? {} : {body: call.body, headers: bodyHeaders(call)}),
				...(call.signal === undefined ? {} : {signal: call.signal}),
			});
			return {kind: 'ok', status: response.status, body: await parse(response)};
		} catch (error) {
			return isKnoudsError(error) ? {kind: 'error', error} : {kind: 'thrown', error};
		}
	},
};

const viaFetch: Surface = {
	name: 'createKnoudsFetch',
	async run(url, call, options = {}) {
		const knoudsFetch = createKnoudsFetch(options);
		try {
			const response = await knoudsFetch(`${url}/${call.path}`, {
				method: call.method,
				headers: {...(call.key === undefined ? {} : {'x-api-key': call.key}), ...bodyHeaders(call)},
				...(call.json === undefined ? {} : {body: JSON.stringify(call.json)}),
				...(call.body === undefined ? {} : {body: call.body}),
				...(call.signal === undefined ? {} : {signal: call.signal}),
			});
			const error = await toKnoudsError(response);
			return error === undefined ? {kind: 'ok', status: response.status, body: await parse(response)} : {kind: 'error', error};
		} catch (error) {
			return {kind: 'thrown', error};
		}
	},
};

/** Both public surfaces, for `describe.each`. */
export const surfaces: readonly Surface[] = [viaKy, viaFetch];

const describeOutcome = (outcome: Outcome): string => {
	switch (outcome.kind) {
		case 'ok': {
			return `a ${outcome.status} success`;
		}

		case 'error': {
			return `a KnoudsError: ${outcome.error.message}`;
		}

		case 'thrown': {
			return `a thrown ${String(outcome.error)}`;
		}
	}
};

/** The KnoudsError a call ended with; throws, naming what happened instead, if it ended otherwise. */
export const knoudsErrorOf = (outcome: Outcome): KnoudsError => {
	if (outcome.kind !== 'error') {
		throw new Error(`Expected a KnoudsError, got ${describeOutcome(outcome)}`);
	}

	return outcome.error;
};

/** The body of a successful call; throws, naming what happened instead, if it did not succeed. */
export const okBodyOf = (outcome: Outcome): unknown => {
	if (outcome.kind !== 'ok') {
		throw new Error(`Expected a success, got ${describeOutcome(outcome)}`);
	}

	return outcome.body;
};

/** The error a call was rejected with (not a KnoudsError); throws if it ended otherwise. */
export const thrownOf = (outcome: Outcome): unknown => {
	if (outcome.kind !== 'thrown') {
		throw new Error(`Expected a rejection, got ${describeOutcome(outcome)}`);
	}

	return outcome.error;
};

/** Sends a setup request with plain fetch (no retries) and fails loudly unless it succeeded. */
export const setUp = async (sim: KnoudsSimulator, call: SimCall): Promise<unknown> => {
	const response = await fetch(`${sim.url}/${call.path}`, {
		method: call.method,
		headers: {...(call.key === undefined ? {} : {'x-api-key': call.key}), ...bodyHeaders(call)},
		...(call.json === undefined ? {} : {body: JSON.stringify(call.json)}),
	});
	const body = await parse(response);
	if (!response.ok) {
		throw new Error(`Setup ${call.method} ${call.path} failed with ${response.status}: ${JSON.stringify(body)}`);
	}

	return body;
};

/**
Starts simulators for one test file and closes every one of them after each test.
Register the returned `afterEach` callback with vitest's `afterEach`.
*/
export const simulators = (): {start: (options?: KnoudsSimulatorOptions) => Promise<KnoudsSimulator>; closeAll: () => Promise<void>} => {
	const open: KnoudsSimulator[] = [];
	return {
		async start(options) {
			const sim = await createKnoudsSimulator(options);
			open.push(sim);
			return sim;
		},
		async closeAll() {
			await Promise.all(open.splice(0).map(async sim => sim.close()));
		},
	};
};

/** How many requests the simulator received while `action` ran. */
export const requestsDuring = async <T>(sim: KnoudsSimulator, action: () => Promise<T>): Promise<{result: T; requests: number}> => {
	const before = sim.stats().requests;
	const result = await action();
	return {result, requests: sim.stats().requests - before};
};

/** Reads a property of an unknown JSON value, or `undefined`. */
export const field = (value: unknown, ...path: string[]): unknown => {
	let current = value;
	for (const key of path) {
		if (typeof current !== 'object' || current === null) {
			return undefined;
		}

		current = (current as Record<string, unknown>)[key];
	}

	return current;
};
