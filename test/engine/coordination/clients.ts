import ky from 'ky';
import {vi} from 'vitest';
import {createKnoudsFetch, isKnoudsError, knoudsRetry, toKnoudsError, type KnoudsFetchOptions} from '../../../src/index.js';
import {api, origin, secretKey} from '../../support/http.js';
import {until} from '../../support/clock.js';
import type {Call, Outcome} from '../../support/surfaces.js';

/** One call of a long-lived client: the shared state lives across calls, so a test makes several. */
export type ClientCall = Call & {
	/** The `x-api-key` to send. @default secretKey */
	readonly key?: string;
};

/** A client made once, whose calls share state, in the same shape for both surfaces. */
export type Client = (call: ClientCall) => Promise<Outcome>;

export type ClientSurface = {
	readonly name: string;
	readonly create: (options?: KnoudsFetchOptions) => Client;
};

const parse = async (response: Response): Promise<unknown> => {
	const text = await response.text();
	return text === '' ? undefined : JSON.parse(text) as unknown;
};

const viaKy: ClientSurface = {
	name: 'knoudsRetry(ky)',
	create(options = {}) {
		const {fetch, timeout, totalTimeout, ...rest} = options;
		const api = knoudsRetry(ky.create({
			baseUrl: `${origin}/`,
			headers: {'x-api-key': secretKey},
			...(fetch === undefined ? {} : {fetch}),
			...(timeout === undefined ? {} : {timeout}),
			...(totalTimeout === undefined ? {} : {totalTimeout}),
		}), rest);
		return async call => {
			try {
				const response = await api(call.path.replace(/^\//, ''), {
					method: call.method ?? 'GET',
					headers: {'x-api-key': call.key ?? secretKey},
					...(call.json === undefined ? {} : {json: call.json}),
					...(call.signal === undefined ? {} : {signal: call.signal}),
				});
				return {kind: 'ok', status: response.status, body: await parse(response)};
			} catch (error) {
				return isKnoudsError(error) ? {kind: 'error', error} : {kind: 'thrown', error};
			}
		};
	},
};

const viaFetch: ClientSurface = {
	name: 'createKnoudsFetch',
	create(options = {}) {
		const knoudsFetch = createKnoudsFetch(options);
		return async call => {
			const headers: Record<string, string> = {'x-api-key': call.key ?? secretKey};
			if (call.json !== undefined) {
				headers['content-type'] = 'application/json';
			}

			try {
				const response = await knoudsFetch(`${origin}${call.path}`, {
					method: call.method ?? 'GET',
					headers,
					...(call.json === undefined ? {} : {body: JSON.stringify(call.json)}),
					...(call.signal === undefined ? {} : {signal: call.signal}),
				});
				const error = await toKnoudsError(response);
				return error === undefined ? {kind: 'ok', status: response.status, body: await parse(response)} : {kind: 'error', error};
			} catch (error) {
				return {kind: 'thrown', error};
			}
		};
	},
};

/** Both public surfaces, as clients that live across calls, for `describe.each`. */
export const clientSurfaces: readonly ClientSurface[] = [viaKy, viaFetch];

/** Calls started together, with their outcomes recorded as they settle, so a test can drive the fake clock meanwhile. */
export const calls = () => {
	const outcomes: Array<Outcome | undefined> = [];
	return {
		outcomes,
		start(promise: Promise<Outcome>): void {
			const index = outcomes.push(undefined) - 1;
			void promise.then(outcome => {
				outcomes[index] = outcome;
			});
		},
		pending: (): number => outcomes.filter(outcome => outcome === undefined).length,
		settled: (): Outcome[] => outcomes.filter(outcome => outcome !== undefined),
	};
};

/**
Runs the fake clock, one timer at a time, until every call has settled. Between timers it lets real I/O
(nock's replies) run until every pending call is parked on its one timer (a wait at the gate, the pacer or
a retry), so that each request arrives at the fake time it was sent. Needs clients without an attempt
timeout (`timeout: false`), whose timer would run while a request is in flight, and `warmUp()`.
*/
export const settleAll = async (started: {pending: () => number}, maxTimers = 1000): Promise<void> => {
	for (let fired = 0; fired < maxTimers; fired++) {
		await until(() => vi.getTimerCount() === started.pending()).catch((error: unknown) => {
			throw new Error(`${vi.getTimerCount()} timers for ${started.pending()} pending calls`, {cause: error});
		});
		if (started.pending() === 0) {
			return;
		}

		await vi.advanceTimersToNextTimerAsync();
	}

	throw new Error(`Calls still pending after ${maxTimers} timers.`);
};

/**
fetch (undici) creates a shared connect-timeout timer on the first connection a process makes. Made
here with real timers, from `beforeAll`, so that it never counts among a test's fake timers.
*/
export const warmUp = async (): Promise<void> => {
	api().get('/warm-up').reply(200, {});
	await (await fetch(`${origin}/warm-up`)).text();
};
