import {codelessActions, isKnoudsCode, knoudsErrorCatalog} from '../catalog.js';
import type {StopReason} from '../decide.js';
import type {KnoudsErrorContext} from '../error-body.js';

type Facts = {
	readonly status: number;
	readonly code: string | undefined;
	readonly apiMessage: string | undefined;
	readonly body: unknown;
	readonly context: Readonly<KnoudsErrorContext>;
};

const clip = (text: string, length = 300): string => text.length > length ? `${text.slice(0, length)}…` : text;

const seconds = (ms: number): string => `${Math.round(ms / 100) / 10} s`;

/**
What the caller has to do about a failure, specific to its code and context fields.
*/
export const actionFor = ({status, code, context}: Facts): string => {
	if (code === 'CAPABILITY_DENIED' && context.required !== undefined) {
		return `Regenerate the API key with the "${clip(context.required, 80)}" capability, or upgrade the plan.`;
	}

	if (code === 'PROVIDER_SUBMIT_FAILED' && context.providerStatus !== undefined) {
		const status = context.providerStatus;
		return status >= 500 || status === 429
			? `The provider answered ${status}; retrying later can succeed.`
			: `The provider rejected the submission with ${status}; fix what it rejected (see \`providerBody\`).`;
	}

	if (isKnoudsCode(code)) {
		return knoudsErrorCatalog[code].action;
	}

	if (code !== undefined) {
		return `\`${clip(code, 80)}\` is not a documented Knouds code; see \`body\`.`;
	}

	const codeless = codelessActions[status];
	if (codeless !== undefined) {
		return codeless;
	}

	if (status === 429) {
		return 'Rate limited by a gateway in front of the API: wait as long as `Retry-After` says.';
	}

	return status >= 500
		? 'The server or a proxy in front of it failed; retrying later can succeed.'
		: 'The API rejected the request without a documented code; see `body`.';
};

const summaryOf = ({apiMessage, body}: Facts): string => {
	if (apiMessage !== undefined) {
		return clip(apiMessage);
	}

	if (body === undefined) {
		return 'empty body';
	}

	return typeof body === 'string' ? 'the body is not a Knouds error (not JSON)' : 'the body is not a Knouds error object';
};

const stopText = (reason: StopReason | undefined, attempts: number, retryAfterMs: number | undefined): string => {
	switch (reason) {
		case 'retries-exhausted': {
			return ` Gave up after ${attempts} attempts.`;
		}

		case 'retry-after-too-long': {
			return attempts === 0
				? ` No request sent: an earlier response asked this client to wait ${seconds(retryAfterMs ?? 0)} more, longer than \`maxRetryAfter\` allows; requeue the call for later.`
				: ` Not retried: the server asked to wait ${seconds(retryAfterMs ?? 0)}, longer than \`maxRetryAfter\` allows; requeue the call for later.`;
		}

		case 'total-timeout': {
			return attempts === 0 && retryAfterMs !== undefined
				? ` No request sent: an earlier response asked this client to wait ${seconds(retryAfterMs)} more, past the call's total timeout; requeue the call for later, or give it a longer \`totalTimeout\`.`
				: ` Stopped after ${attempts} attempts: the next wait would cross the total timeout.`;
		}

		case 'should-retry': {
			return ' Not retried: `shouldRetry` returned false.';
		}

		case 'retry-budget': {
			return ' Not retried: the client\'s retry budget is spent (many failures, few successes lately), and it bounds retries across all calls whatever the policy allows; the API may be down. Raise `retryBudget`, or set it to `false`, to retry more.';
		}

		case 'latched': {
			return ' No request sent: an earlier call with this API key got this answer, and it holds (see the `latch` option).';
		}

		case 'not-idempotent':
		case 'terminal':
		case undefined: {
			return '';
		}
	}
};

/**
The message of a `KnoudsError`: ky's own message for the failure first (status, method and URL), so that
code and log searches written for ky still match, then what the API said, what to do, and why retrying
stopped.
*/
export const messageFor = (facts: Facts & {
	/** What ky's `HTTPError` says of the failure: `Request failed with status code …: METHOD URL`. */
	readonly kyMessage: string;
	readonly attempts: number;
	readonly retryAfterMs: number | undefined;
	readonly stopReason: StopReason | undefined;
}): string => {
	const label = facts.code === undefined ? 'No Knouds code' : `Knouds ${clip(facts.code, 80)}`;
	return `${facts.kyMessage} — ${label}: ${summaryOf(facts)}. ${actionFor(facts)}${stopText(facts.stopReason, facts.attempts, facts.retryAfterMs)}`;
};

/**
What a network error or timeout that was not resent says besides its own message: why a request that may
have run was not sent again, and what to do.
*/
export const notResentText = (method: string): string =>
	`Not resent: the ${method} may have reached the server and run, and ${method} is not in \`idempotentMethods\`. Check whether it took effect before sending it again; if it is safe to repeat, add '${method}' to \`idempotentMethods\`.`;

/**
Adds `text` to an error's message, for errors whose class this library does not own (the platform's
TypeError or DOMException, ky's errors): an own property shadows the one the class defines.
*/
export const explain = (error: Error, text: string): void => {
	try {
		Object.defineProperty(error, 'message', {value: `${error.message} ${text}`, enumerable: false, writable: true, configurable: true});
	} catch {
		// A frozen error keeps its message.
	}
};
