import ky from 'ky';
import {createKnoudsFetch, isKnoudsError, knoudsRetry, toKnoudsError, type KnoudsError, type KnoudsFetchOptions} from '../../src/index.js';
import {origin, secretKey} from './http.js';

/** One call as a test describes it, independent of the surface that makes it. */
export type Call = {
	readonly path: string;
	readonly method?: string;
	readonly json?: unknown;
	readonly body?: RequestInit['body'];
	readonly signal?: AbortSignal;
	/** The `x-api-key` to send. @default secretKey */
	readonly key?: string;
	/** More headers to send, after the `x-api-key`. */
	readonly headers?: Readonly<Record<string, string>>;
};

/** How a call ended, in the same shape for both surfaces. */
export type Outcome =
	| {readonly kind: 'ok'; readonly status: number; readonly body: unknown}
	| {readonly kind: 'error'; readonly error: KnoudsError}
	| {readonly kind: 'thrown'; readonly error: unknown};

/** A client made once, whose calls share state (the gate, the budget, latches). */
export type Client = (call: Call) => Promise<Outcome>;

/** A public surface: `create` makes a long-lived client, `run` makes one call on a fresh one. */
export type Surface = {
	readonly name: string;
	readonly create: (options?: KnoudsFetchOptions) => Client;
	readonly run: (call: Call, options?: KnoudsFetchOptions) => Promise<Outcome>;
};

const parse = async (response: Response): Promise<unknown> => {
	const text = await response.text();
	return text === '' ? undefined : JSON.parse(text) as unknown;
};

const viaKy = (options: KnoudsFetchOptions = {}): Client => {
	const {fetch, timeout, totalTimeout, ...rest} = options;
	const api = knoudsRetry(ky.create({
		baseUrl: `${origin}/`,
		...(fetch === undefined ? {} : {fetch}),
		...(timeout === undefined ? {} : {timeout}),
		...(totalTimeout === undefined ? {} : {totalTimeout}),
	}), rest);
	return async call => {
		try {
			const response = await api(call.path.replace(/^\//, ''), {
				method: call.method ?? 'GET',
				headers: {'x-api-key': call.key ?? secretKey, ...call.headers},
				...(call.json === undefined ? {} : {json: call.json}),
				...(call.body === undefined ? {} : {body: call.body}),
				...(call.signal === undefined ? {} : {signal: call.signal}),
			});
			return {kind: 'ok', status: response.status, body: await parse(response)};
		} catch (error) {
			return isKnoudsError(error) ? {kind: 'error', error} : {kind: 'thrown', error};
		}
	};
};

const viaFetch = (options: KnoudsFetchOptions = {}): Client => {
	const knoudsFetch = createKnoudsFetch(options);
	return async call => {
		const headers: Record<string, string> = {'x-api-key': call.key ?? secretKey, ...call.headers};
		if (call.json !== undefined) {
			headers['content-type'] = 'application/json';
		}

		try {
			const response = await knoudsFetch(`${origin}${call.path}`, {
				method: call.method ?? 'GET',
				headers,
				...(call.json === undefined ? {} : {body: JSON.stringify(call.json)}),
				...(call.body === undefined ? {} : {body: call.body, duplex: 'half'}),
				...(call.signal === undefined ? {} : {signal: call.signal}),
			});
			const error = await toKnoudsError(response);
			return error === undefined ? {kind: 'ok', status: response.status, body: await parse(response)} : {kind: 'error', error};
		} catch (error) {
			return {kind: 'thrown', error};
		}
	};
};

const surface = (name: string, create: (options?: KnoudsFetchOptions) => Client): Surface =>
	({name, create, run: async (call, options) => create(options)(call)});

/** Both public surfaces, for `describe.each`. */
export const surfaces: readonly Surface[] = [surface('knoudsRetry(ky)', viaKy), surface('createKnoudsFetch', viaFetch)];

/** The KnoudsError of an outcome, failing the test with what happened instead. */
export const knoudsErrorOf = (outcome: Outcome): KnoudsError => {
	if (outcome.kind !== 'error') {
		throw new Error(`Expected a KnoudsError, got ${outcome.kind}: ${JSON.stringify(outcome.kind === 'ok' ? outcome.body : String(outcome.error))}`);
	}

	return outcome.error;
};
