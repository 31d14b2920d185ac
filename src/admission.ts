import {AttemptFailure, timeoutFailure, type CallSettings} from './attempt.js';
import type {Admission, AttemptScope} from './coordination/coordinator.js';
import {parseErrorBody} from './error-body.js';
import type {ResolvedOptions} from './options.js';
import type {PreparedRequest} from './replay.js';

// A refusal carries the error the call would have met, as if the API had answered it: a latched answer
// again, or the rate limit an earlier response announced.
const answered = (status: number, body: unknown, stopReason: 'latched' | 'retry-after-too-long', retryAfterMs?: number): AttemptFailure => {
	const text = typeof body === 'string' ? body : body === undefined ? '' : JSON.stringify(body);
	const headers: Record<string, string> = {'content-type': 'application/json'};
	if (retryAfterMs !== undefined) {
		headers['retry-after'] = String(Math.ceil(retryAfterMs / 1000));
	}

	const parsed = parseErrorBody(text);
	const failure = new AttemptFailure(
		{kind: 'http', status, code: parsed.code, retryAfterMs, providerStatus: parsed.context.providerStatus},
		new Response(text, {status, headers}),
		parsed,
		undefined,
	);
	failure.stopReason = stopReason;
	return failure;
};

const refusal = (admission: Exclude<Admission, {kind: 'send'}>): AttemptFailure => {
	switch (admission.kind) {
		case 'latched': {
			return answered(admission.failure.status, admission.failure.body, 'latched');
		}

		case 'gated': {
			const seconds = Math.ceil(admission.retryAfterMs / 1000);
			return answered(429, {error: `Rate limited: an earlier response asked this client to wait ${seconds} s more`, code: 'RATE_LIMIT_EXCEEDED'}, 'retry-after-too-long', admission.retryAfterMs);
		}

		case 'deadline': {
			const failure = timeoutFailure('total');
			failure.stopReason = 'total-timeout';
			return failure;
		}
	}
};

/**
Runs one attempt through the client's shared state: waits for admission (latches, the Retry-After gate,
the pacer), sends, and reports what came back, so that the client's other calls learn from it.
*/
export const admitted = async (options: ResolvedOptions, request: PreparedRequest, call: CallSettings, run: (request: PreparedRequest, call: CallSettings) => Promise<Response>): Promise<Response> => {
	const scope: AttemptScope = {
		request,
		deadline: call.deadline,
		maxRetryAfter: options.maxRetryAfter,
		first: call.sent.count === 0,
	};
	const admission = await options.coordinator.admit(scope);
	if (admission.kind !== 'send') {
		throw refusal(admission);
	}

	let answered = false;
	try {
		const response = await run(request, call);
		answered = true;
		await options.coordinator.observe(scope, admission, {status: response.status, code: undefined, retryAfterMs: undefined, body: undefined});
		return response;
	} catch (error) {
		if (error instanceof AttemptFailure && error.failure.kind === 'http') {
			answered = true;
			const {status, code, retryAfterMs} = error.failure;
			await options.coordinator.observe(scope, admission, {status, code, retryAfterMs, body: error.parsed?.body});
		}

		throw error;
	} finally {
		if (!answered) {
			await options.coordinator.release(admission);
		}
	}
};
