import ky, {type HTTPError, type KyInstance} from 'ky';
import {describe, expectTypeOf, it} from 'vitest';
import {Redis as IoRedis} from 'ioredis';
import {createClient as createNodeRedis} from 'redis';
import {createRedisStore, type RedisClientLike, type RedisCommand, type RedisStoreOptions} from '../src/redis/index.js';
import {createKnoudsSimulator, scenarios, type KnoudsSimulator, type ScenarioName, type SimulatorStats} from '../src/testing/index.js';
import {
	createKnoudsFetch,
	createMemoryStore,
	type BackoffCurve,
	type KnoudsStore,
	type KnoudsStoreError,
	type StoreAnswer,
	type StoreOp,
	type ResolvedCodePolicy,
	type StopReason,
	isKnoudsError,
	knoudsErrorCatalog,
	knoudsRetry,
	toKnoudsError,
	type KnoudsCode,
	type KnoudsError,
	type KnoudsErrorOf,
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

	it('isKnoudsError with a code narrows the code, and leaves context fields the API may omit possibly absent', () => {
		const error: unknown = undefined;
		if (isKnoudsError(error, 'CAPABILITY_DENIED')) {
			expectTypeOf(error.code).toEqualTypeOf<'CAPABILITY_DENIED'>();
			expectTypeOf(error.required).toEqualTypeOf<string | undefined>();
			expectTypeOf(error).toEqualTypeOf<KnoudsErrorOf<'CAPABILITY_DENIED'>>();
		}

		if (isKnoudsError(error, 'PROVIDER_SUBMIT_FAILED')) {
			expectTypeOf(error.providerStatus).toEqualTypeOf<number | undefined>();
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

	it('types the coordination options and the store', () => {
		createKnoudsFetch({retryAfterGate: false, retryBudget: false, latch: {deadKey: false, INSUFFICIENT_CREDITS: 60_000, grant_exhausted: 1000}, rateLimit: {requestsPerMinute: 600}, store: createMemoryStore()});
		knoudsRetry(ky, {retryBudget: {burst: 20}});
		// @ts-expect-error: latches are named by code, case-sensitively.
		createKnoudsFetch({latch: {GRANT_EXHAUSTED: 1000}});
		// @ts-expect-error: the pacer needs its limit.
		createKnoudsFetch({rateLimit: {}});
		expectTypeOf(createMemoryStore()).toEqualTypeOf<KnoudsStore>();
		expectTypeOf<KnoudsStore['run']>().returns.toEqualTypeOf<Promise<StoreAnswer>>();
		expectTypeOf<KnoudsStore['run']>().parameter(0).toEqualTypeOf<readonly StoreOp[]>();
		expectTypeOf<StoreAnswer['results']>().toEqualTypeOf<ReadonlyArray<string | number | undefined>>();
		// A store of the old shape is no store.
		expectTypeOf<{get(key: string): Promise<string | undefined>}>().not.toExtend<KnoudsStore>();
		// An operation names what it does, from a closed list.
		expectTypeOf<{readonly op: 'incr'; readonly key: string}>().not.toExtend<StoreOp>();
		expectTypeOf<'retry-budget' | 'latched'>().toExtend<StopReason>();
		knoudsRetry(ky, {storeTimeout: 250, failOnStoreError: true, onStoreError(error) {
			expectTypeOf(error).toEqualTypeOf<Error>();
		}});
		expectTypeOf<KnoudsStoreError['operation']>().toEqualTypeOf<string>();
		expectTypeOf<KnoudsStoreError>().toExtend<Error>();
	});

	it('names every type a public signature uses: a resolved code policy is a backoff curve with its retries', () => {
		expectTypeOf<Exclude<ResolvedCodePolicy, false>>().toExtend<BackoffCurve>();
		expectTypeOf<BackoffCurve['jitter']>().toEqualTypeOf<'full' | 'equal' | 'none'>();
		expectTypeOf<Extract<StoreOp, {op: 'pace'}>>().toEqualTypeOf<{readonly op: 'pace'; readonly key: string; readonly intervalMs: number; readonly burst: number; readonly max?: number | undefined; readonly ttlMs: number}>();
	});

	it('types the simulator: its options, scenarios and stats', () => {
		expectTypeOf(createKnoudsSimulator).returns.toEqualTypeOf<Promise<KnoudsSimulator>>();
		expectTypeOf<KnoudsSimulator['stats']>().returns.toEqualTypeOf<SimulatorStats>();
		expectTypeOf<keyof typeof scenarios>().toEqualTypeOf<ScenarioName>();
		void createKnoudsSimulator({scenario: {extends: 'chaos', seed: 7, faults: {executionFailed: 0.2}, paths: {'POST /v1/keys': '/keys'}}});
		// @ts-expect-error: an unknown scenario name is a compile error.
		void createKnoudsSimulator({scenario: 'chaotic'});
		// @ts-expect-error: so is an unknown route in paths.
		void createKnoudsSimulator({scenario: {paths: {'POST /v1/key': '/keys'}}});
	});
});

describe('knouds-retry/redis types', () => {
	it('takes an ioredis client, a node-redis client or any sendCommand, and gives a store', () => {
		expectTypeOf(createRedisStore({client: new IoRedis()})).toEqualTypeOf<KnoudsStore>();
		expectTypeOf(createRedisStore({client: createNodeRedis(), prefix: 'team-a', maxTtl: 86_400_000})).toEqualTypeOf<KnoudsStore>();
		expectTypeOf(createRedisStore({client: {sendCommand: async (args: readonly string[]) => args}})).toEqualTypeOf<KnoudsStore>();
		expectTypeOf<{get(key: string): Promise<string>}>().not.toExtend<RedisClientLike>();
		expectTypeOf<RedisStoreOptions['client']>().toEqualTypeOf<RedisClientLike>();
		expectTypeOf<RedisCommand>().toEqualTypeOf<(args: readonly string[]) => Promise<unknown>>();
	});
});
