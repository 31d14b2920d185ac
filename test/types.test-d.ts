import ky, {type HTTPError, type KyInstance} from 'ky';
import {describe, expectTypeOf, it} from 'vitest';
import {
	createKnoudsFetch,
	isKnoudsError,
	knoudsErrorCatalog,
	knoudsRetry,
	toKnoudsError,
	type KnoudsCode,
	type KnoudsError,
	type KnoudsFetch,
	type PolicyKey,
	type RetryEvent,
} from '../src/index.js';

describe('public types', () => {
	it('knoudsRetry returns a ky instance', () => {
		expectTypeOf(knoudsRetry(ky.create())).toEqualTypeOf<KyInstance>();
	});

	it('createKnoudsFetch returns a function with fetch\'s signature', () => {
		const knoudsFetch = createKnoudsFetch();
		expectTypeOf(knoudsFetch).toEqualTypeOf<KnoudsFetch>();
		expectTypeOf(knoudsFetch).toExtend<(input: string | URL | Request, init?: RequestInit) => Promise<Response>>();
		expectTypeOf(toKnoudsError).returns.toEqualTypeOf<Promise<KnoudsError | undefined>>();
	});

	it('KnoudsError is an HTTPError', () => {
		expectTypeOf<KnoudsError>().toExtend<HTTPError>();
	});

	it('isKnoudsError with a code narrows the code and its context fields', () => {
		const error: unknown = undefined;
		if (isKnoudsError(error, 'CAPABILITY_DENIED')) {
			expectTypeOf(error.code).toEqualTypeOf<'CAPABILITY_DENIED'>();
			expectTypeOf(error.required).toEqualTypeOf<string>();
		}

		if (isKnoudsError(error, 'PROVIDER_SUBMIT_FAILED')) {
			expectTypeOf(error.providerStatus).toEqualTypeOf<number>();
		}

		if (isKnoudsError(error)) {
			expectTypeOf(error.code).toEqualTypeOf<string | undefined>();
			expectTypeOf(error.required).toEqualTypeOf<string | undefined>();
		}
	});

	it('accepts only documented codes, case-sensitively', () => {
		expectTypeOf<'grant_exhausted'>().toExtend<KnoudsCode>();
		expectTypeOf<'GRANT_EXHAUSTED'>().not.toExtend<KnoudsCode>();
		expectTypeOf<'NETWORK_ERROR'>().toExtend<PolicyKey>();
		// @ts-expect-error: unknown codes are a compile error in a policy.
		createKnoudsFetch({policy: {GRANT_EXHAUSTED: false}});
		// @ts-expect-error: unknown options are a compile error.
		createKnoudsFetch({retries: 3});
		createKnoudsFetch({policy: {grant_exhausted: false, EXECUTION_FAILED: 5, NETWORK_ERROR: {retries: 1, jitter: 'equal'}}});
	});

	it('keeps the catalogue read-only and typed per code', () => {
		expectTypeOf(knoudsErrorCatalog.CAPABILITY_DENIED.status).toEqualTypeOf<number>();
		// @ts-expect-error: the catalogue is read-only.
		knoudsErrorCatalog.CAPABILITY_DENIED = knoudsErrorCatalog.MODEL_NOT_FOUND;
	});

	it('gives onRetry a readonly event', () => {
		knoudsRetry(ky, {onRetry(event) {
			expectTypeOf(event).toEqualTypeOf<RetryEvent>();
			// @ts-expect-error: events are read-only.
			event.delay = 0;
		}});
	});
});
