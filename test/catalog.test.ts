import {describe, expect, it} from 'vitest';
import {codelessActions, isKnoudsCode, knoudsCodes, knoudsErrorCatalog, policyKeys} from '../src/catalog.js';

// The "Codes" table of the Knouds API error contract, copied by hand.
// The two codeless rows (a 401 and a 404) are checked against codelessActions below.
const documented: ReadonlyArray<readonly [code: string, status: number]> = [
	['INVALID_INPUTS', 400],
	['INVALID_SLUG', 400],
	['INVALID_BODY', 400],
	['INVALID_CAPABILITY', 400],
	['ASYNC_NOT_SUPPORTED', 400],
	['LEGACY_KEY_RETIRED', 401],
	['INSUFFICIENT_CREDITS', 402],
	['grant_exhausted', 402],
	['CAPABILITY_DENIED', 403],
	['CAPABILITY_ABOVE_CEILING', 403],
	['API_KEY_ACCESS_DENIED', 403],
	['MODEL_TIER_REQUIRED', 403],
	['WORKFLOW_CAP_REACHED', 403],
	['MODEL_NOT_FOUND', 404],
	['EXECUTION_NOT_FOUND', 404],
	['RATE_LIMIT_EXCEEDED', 429],
	['EXECUTION_FAILED', 500],
	['PROVIDER_SUBMIT_FAILED', 500],
	['PROVIDER_RESPONSE_INCOMPLETE', 500],
];

const retryable = ['RATE_LIMIT_EXCEEDED', 'EXECUTION_FAILED', 'PROVIDER_SUBMIT_FAILED', 'PROVIDER_RESPONSE_INCOMPLETE'];

const catalog: Readonly<Record<string, {readonly status: number; readonly retryable: boolean; readonly context: readonly string[]} | undefined>> = knoudsErrorCatalog;

describe('knoudsErrorCatalog against the API contract', () => {
	it.each(documented)('lists %s with status %i', (code, status) => {
		expect(catalog[code]?.status).toBe(status);
	});

	it('lists no code the contract does not document', () => {
		expect([...knoudsCodes].sort()).toEqual(documented.map(([code]) => code).sort());
	});

	it('makes exactly RATE_LIMIT_EXCEEDED, EXECUTION_FAILED, PROVIDER_SUBMIT_FAILED and PROVIDER_RESPONSE_INCOMPLETE retryable', () => {
		const found = knoudsCodes.filter(code => knoudsErrorCatalog[code].retryable);
		expect(found.sort()).toEqual([...retryable].sort());
	});

	it('names the documented context fields', () => {
		expect(knoudsErrorCatalog.CAPABILITY_DENIED.context).toEqual(['required']);
		expect(knoudsErrorCatalog.CAPABILITY_ABOVE_CEILING.context).toEqual(['attempted']);
		expect(knoudsErrorCatalog.PROVIDER_SUBMIT_FAILED.context).toEqual(['providerStatus', 'providerBody']);
		expect(knoudsErrorCatalog.EXECUTION_FAILED.context).toEqual([]);
	});

	it('gives every code a meaning and an action', () => {
		for (const code of knoudsCodes) {
			expect(knoudsErrorCatalog[code].meaning, code).not.toBe('');
			expect(knoudsErrorCatalog[code].action, code).not.toBe('');
		}
	});

	it('has actions for the codeless 401 and 404', () => {
		expect(Object.keys(codelessActions).sort()).toEqual(['401', '404']);
	});

	it('is frozen all the way down', () => {
		expect(Object.isFrozen(knoudsErrorCatalog)).toBe(true);
		for (const code of knoudsCodes) {
			expect(Object.isFrozen(knoudsErrorCatalog[code]), code).toBe(true);
			expect(Object.isFrozen(knoudsErrorCatalog[code].context), code).toBe(true);
		}

		expect(Object.isFrozen(codelessActions)).toBe(true);
	});
});

describe('isKnoudsCode and policyKeys', () => {
	it('matches codes case-sensitively, as the API does', () => {
		expect(isKnoudsCode('grant_exhausted')).toBe(true);
		expect(isKnoudsCode('GRANT_EXHAUSTED')).toBe(false);
		expect(isKnoudsCode('rate_limit_exceeded')).toBe(false);
	});

	it('rejects inherited object keys and non-strings', () => {
		for (const value of ['toString', 'constructor', '__proto__', 429, undefined, null]) {
			expect(isKnoudsCode(value), String(value)).toBe(false);
		}
	});

	it('lists every documented code and then the three transport keys', () => {
		expect(policyKeys).toEqual([...knoudsCodes, 'NETWORK_ERROR', 'TIMEOUT', 'SERVER_ERROR']);
	});
});
