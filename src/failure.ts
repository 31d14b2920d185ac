import {isKnoudsCode, knoudsErrorCatalog, type PolicyKey} from './catalog.js';

/**
A failed attempt, reduced to the plain values the retry decision needs.
*/
export type Failure =
	| {
		readonly kind: 'http';
		readonly status: number;
		/** The `code` the body carried, documented or not. */
		readonly code: string | undefined;
		/** The server-requested wait, parsed from `Retry-After`. */
		readonly retryAfterMs: number | undefined;
		/** PROVIDER_SUBMIT_FAILED's `providerStatus`. */
		readonly providerStatus: number | undefined;
	}
	| {
		readonly kind: 'network';
		/** The connection failed before any of the request was sent (refused, DNS), so the server cannot have acted on it. */
		readonly beforeSend: boolean;
	}
	| {
		readonly kind: 'timeout';
	};

/**
The policy that governs a failure: its documented code, else a transport key by kind and status.
`undefined` means terminal with no policy to consult (a 4xx without a documented code).
*/
export const policyKeyOf = (failure: Failure): PolicyKey | undefined => {
	switch (failure.kind) {
		case 'network': {
			return 'NETWORK_ERROR';
		}

		case 'timeout': {
			return 'TIMEOUT';
		}

		case 'http': {
			if (isKnoudsCode(failure.code)) {
				return failure.code;
			}

			// A 429 from a gateway in front of the API is still a rate limit, and says so with its status.
			if (failure.status === 429) {
				return 'RATE_LIMIT_EXCEEDED';
			}

			return failure.status >= 500 ? 'SERVER_ERROR' : undefined;
		}
	}
};

// Errors that happen while connecting, before a byte of the request leaves: resending cannot duplicate work.
const preSendCodes: ReadonlySet<string> = new Set([
	'ECONNREFUSED',
	'ENOTFOUND',
	'EAI_AGAIN',
	'EAI_NONAME',
	'EHOSTUNREACH',
	'EHOSTDOWN',
	'ENETUNREACH',
	'ENETDOWN',
	'EADDRNOTAVAIL',
	'UND_ERR_CONNECT_TIMEOUT',
]);

const codeOf = (value: unknown): unknown =>
	typeof value === 'object' && value !== null && 'code' in value ? value.code : undefined;

/**
Whether a fetch failure happened before the request was sent, judged from the error's `cause` chain
(undici puts the socket error there; happy-eyeballs connects wrap several in an AggregateError).
Unknown shapes count as "may have been sent", the safe answer.
*/
export const failedBeforeSend = (error: unknown, depth = 0): boolean => {
	if (typeof error !== 'object' || error === null || depth > 4) {
		return false;
	}

	const code = codeOf(error);
	if (typeof code === 'string' && preSendCodes.has(code)) {
		return true;
	}

	if (error instanceof AggregateError && error.errors.length > 0) {
		return error.errors.every(inner => failedBeforeSend(inner, depth + 1));
	}

	return 'cause' in error && failedBeforeSend(error.cause, depth + 1);
};

/**
Whether an HTTP failure is transient by nature, so that the same call can succeed later.
This is the catalogue's default class, whatever policy a client runs with.
*/
export const isTransient = (status: number, code: string | undefined, providerStatus: number | undefined): boolean => {
	if (code === 'PROVIDER_SUBMIT_FAILED' && providerStatus !== undefined) {
		return providerStatus >= 500 || providerStatus === 429;
	}

	if (isKnoudsCode(code)) {
		return knoudsErrorCatalog[code].retryable;
	}

	return status === 429 || status >= 500;
};
