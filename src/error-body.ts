import {isRecord} from './validate.js';

/**
Context fields a Knouds error body may carry besides `error` and `code`.
Each is present only when the body had it with the documented type.
*/
export type KnoudsErrorContext = {
	/** The capability the endpoint needs (CAPABILITY_DENIED), such as `"model:run"`. */
	required?: string;
	/** The capability or capabilities asked for above the tier's ceiling (CAPABILITY_ABOVE_CEILING). */
	attempted?: string | readonly string[];
	/** The HTTP status the upstream provider answered with (PROVIDER_SUBMIT_FAILED). */
	providerStatus?: number;
	/** What the upstream provider answered (PROVIDER_SUBMIT_FAILED). */
	providerBody?: unknown;
};

/**
What could be read out of an error response body, whatever shape it had.
*/
export type ErrorBody = {
	/** The `code` field when it was a string, documented or not. */
	readonly code: string | undefined;
	/** The API's human-readable `error` text (or a `message` field) when it was a string. */
	readonly apiMessage: string | undefined;
	/** The parsed JSON value, or the raw text when it was not JSON, or `undefined` when empty. */
	readonly body: unknown;
	/** Whether the body was cut at the read limit. */
	readonly truncated: boolean;
	readonly context: Readonly<KnoudsErrorContext>;
};

const asStatus = (value: unknown): number | undefined => {
	const number = typeof value === 'string' && /^\d{3}$/.test(value.trim()) ? Number(value) : value;
	return typeof number === 'number' && Number.isInteger(number) && number >= 100 && number <= 599 ? number : undefined;
};

const isCapabilityList = (value: unknown): value is string | readonly string[] =>
	typeof value === 'string' || (Array.isArray(value) && value.every(item => typeof item === 'string'));

const readContext = (record: Record<string, unknown>): KnoudsErrorContext => {
	const context: KnoudsErrorContext = {};
	if (typeof record['required'] === 'string') {
		context.required = record['required'];
	}

	if (isCapabilityList(record['attempted'])) {
		context.attempted = record['attempted'];
	}

	const providerStatus = asStatus(record['providerStatus']);
	if (providerStatus !== undefined) {
		context.providerStatus = providerStatus;
	}

	if (Object.hasOwn(record, 'providerBody')) {
		context.providerBody = record['providerBody'];
	}

	return context;
};

const parseJson = (text: string): {ok: true; value: unknown} | {ok: false} => {
	try {
		return {ok: true, value: JSON.parse(text) as unknown};
	} catch {
		return {ok: false};
	}
};

/**
Reads an already-parsed error body value: a Knouds error object, or anything else kept as is.
*/
export const errorBodyFromValue = (value: unknown, truncated = false): ErrorBody => {
	if (!isRecord(value)) {
		return {code: undefined, apiMessage: undefined, body: value, truncated, context: {}};
	}

	const message = typeof value['error'] === 'string' ? value['error'] : value['message'];
	return {
		code: typeof value['code'] === 'string' ? value['code'] : undefined,
		apiMessage: typeof message === 'string' ? message : undefined,
		body: value,
		truncated,
		context: readContext(value),
	};
};

/**
Reads an error body of any shape: a Knouds JSON body, a proxy's HTML page, an empty or truncated
body, a JSON array or string. Never throws.

The content type is not trusted: proxies label JSON as text and HTML as JSON.
*/
export const parseErrorBody = (text: string | undefined, truncated = false): ErrorBody => {
	if (text === undefined || text.trim() === '') {
		return errorBodyFromValue(undefined, truncated);
	}

	const parsed = parseJson(text);
	return errorBodyFromValue(parsed.ok ? parsed.value : text, truncated);
};
