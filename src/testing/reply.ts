/** What the simulated API answers: a JSON body, with headers. */
export type Reply = {
	readonly status: number;
	readonly body: Readonly<Record<string, unknown>>;
	readonly headers?: Readonly<Record<string, string>>;
	/** How long the API works before it answers (a sync run's run time). */
	readonly delayMs?: number;
	/** Whether the API charged for this answer (a successful run): losing it on the way is worth counting. */
	readonly charged?: boolean;
};

/** A documented Knouds error: `{error, code, ...context}`. */
export const apiError = (status: number, code: string, error: string, context: Readonly<Record<string, unknown>> = {}, headers?: Readonly<Record<string, string>>): Reply =>
	({status, body: {error, code, ...context}, ...(headers === undefined ? {} : {headers})});

/** One of the two documented errors that carry no code: a message only. */
export const codelessError = (status: 401 | 404, error: string): Reply => ({status, body: {error}});

/** A request as the handlers see it. */
export type ApiRequest = {
	readonly method: string;
	readonly url: URL;
	readonly apiKey: string | undefined;
	readonly body: string;
};

/** Parses a JSON object body; `undefined` when the body is not JSON or not an object. */
export const jsonObject = (body: string): Record<string, unknown> | undefined => {
	try {
		const value: unknown = JSON.parse(body);
		return typeof value === 'object' && value !== null && !Array.isArray(value) ? value as Record<string, unknown> : undefined;
	} catch {
		return undefined;
	}
};
