import nock from 'nock';

/** The base URL every nock-backed unit test talks to. */
export const origin = 'https://api.knouds.test';

/** An API key that must never show up in an error, event or log line. */
export const secretKey = 'kn_live_SECRET-0123456789abcdef';

/** A Knouds error body as the API documents it. */
export const knoudsBody = (code: string | undefined, error = 'failed', context: Record<string, unknown> = {}): Record<string, unknown> =>
	code === undefined ? {error, ...context} : {error, code, ...context};

const json = {'content-type': 'application/json'};

/** Records when each request of a nock scope arrived, by the (possibly faked) clock. */
export const arrivals = (): {times: number[]; reply: (status: number, body?: unknown, headers?: Record<string, string>) => () => [number, string, Record<string, string>]} => {
	const times: number[] = [];
	return {
		times,
		reply: (status, body = {}, headers = {}) => () => {
			times.push(Date.now());
			return [status, typeof body === 'string' ? body : JSON.stringify(body), {...json, ...headers}];
		},
	};
};

/** Starts a nock scope on the test origin that fails on unexpected requests. */
export const api = (): nock.Scope => nock(origin);

export {json as jsonHeaders};
