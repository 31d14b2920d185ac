import {AttemptFailure, timeoutFailure, type CallSettings} from './attempt.js';
import type {Admission, AttemptScope} from './coordination/coordinator.js';
import {parseErrorBody} from './error-body.js';
import type {ResolvedOptions} from './options.js';
import type {PreparedRequest} from './replay.js';
import {maxTimer} from './sleep.js';

// A refusal carries the error the call would have met, as if the API had answered it: a latched answer
// again, or the rate limit an earlier response announced.
const answered = (status: number, body: unknown, stopReason: 'latched' | 'retry-after-too-long' | 'total-timeout', retryAfterMs?: number): AttemptFailure => {
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
			return answered(429, {error: 'Rate limited: the client holds its requests while an earlier response\'s Retry-After runs', code: 'RATE_LIMIT_EXCEEDED'}, admission.reason, admission.retryAfterMs);
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
	const {coordinator} = options;
	const pending = coordinator.admit(scope);
	const admission = coordinator.guarded ? await boundedAdmission(pending, request.signal, call.deadline) : await pending;
	if (admission.kind !== 'send') {
		throw refusal(admission);
	}

	try {
		const response = await run(request, call);
		await report(coordinator.observe(scope, admission, {status: response.status, code: undefined, retryAfterMs: undefined, body: undefined}));
		return response;
	} catch (error) {
		if (error instanceof AttemptFailure && error.failure.kind === 'http') {
			const {status, code, retryAfterMs} = error.failure;
			await report(coordinator.observe(scope, admission, {status, code, retryAfterMs, body: error.parsed?.body}));
		}

		throw error;
	}
};

// A report to the shared state never costs the call its answer: a store that failed was already told of
// through `onStoreError`, and the response (a charged run, perhaps) is what the caller needs. One promise
// more, not an async function: this runs on every attempt.
const report = (pending: Promise<void>): Promise<void> => pending.catch(noop);

const noop = (): void => undefined;

/**
Waits for an admission from a store that may not answer, no longer than the caller's abort or the call's
deadline. An admission that comes after the call gave up is left unused: the pace it took is spent, as a
request the server refused would have spent it.
*/
const boundedAdmission = async (pending: Promise<Admission>, signal: AbortSignal | undefined, deadline: number | undefined): Promise<Admission> => {
	return new Promise<Admission>((resolve, reject) => {
		let timer: ReturnType<typeof setTimeout> | undefined;
		const done = (): void => {
			clearTimeout(timer);
			signal?.removeEventListener('abort', onAbort);
		};

		const onAbort = (): void => {
			done();
			reject(signal?.reason as Error);
		};

		if (deadline !== undefined) {
			timer = setTimeout(() => {
				done();
				resolve({kind: 'deadline'});
			}, Math.min(Math.max(0, deadline - Date.now()), maxTimer));
		}

		signal?.addEventListener('abort', onAbort, {once: true});
		// Handles a rejection that comes after the call gave up too: settling a settled promise does nothing.
		pending.then(admission => {
			done();
			resolve(admission);
		}, (error: unknown) => {
			done();
			// Always an Error: the store's guard wraps whatever the store threw in a KnoudsStoreError.
			reject(error instanceof Error ? error : new Error(String(error)));
		});
	});
};
