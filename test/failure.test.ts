import {describe, expect, it} from 'vitest';
import {failedBeforeSend, isTransient, policyKeyOf} from '../src/failure.js';

const socketError = (code: string): Error => Object.assign(new Error(`connect ${code}`), {code});
const fetchFailed = (cause: unknown): TypeError => new TypeError('fetch failed', {cause});

describe('policyKeyOf', () => {
	it('keys network errors and timeouts by kind', () => {
		expect(policyKeyOf({kind: 'network', beforeSend: true})).toBe('NETWORK_ERROR');
		expect(policyKeyOf({kind: 'timeout'})).toBe('TIMEOUT');
	});

	it('keys an HTTP failure by its documented code, whatever the status', () => {
		expect(policyKeyOf({kind: 'http', status: 500, code: 'EXECUTION_FAILED', retryAfterMs: undefined, providerStatus: undefined})).toBe('EXECUTION_FAILED');
		expect(policyKeyOf({kind: 'http', status: 402, code: 'grant_exhausted', retryAfterMs: undefined, providerStatus: undefined})).toBe('grant_exhausted');
	});

	it('keys a codeless or unknown-code failure by its status', () => {
		const byStatus = (status: number, code?: string) => policyKeyOf({kind: 'http', status, code, retryAfterMs: undefined, providerStatus: undefined});
		expect(byStatus(429)).toBe('RATE_LIMIT_EXCEEDED');
		expect(byStatus(502)).toBe('SERVER_ERROR');
		expect(byStatus(503, 'SOMETHING_ELSE')).toBe('SERVER_ERROR');
		expect(byStatus(401)).toBeUndefined();
		expect(byStatus(400, 'SOMETHING_ELSE')).toBeUndefined();
	});

	it('does not mistake inherited object keys or other cases for codes', () => {
		for (const code of ['toString', '__proto__', 'constructor', 'GRANT_EXHAUSTED', 'execution_failed']) {
			expect(policyKeyOf({kind: 'http', status: 400, code, retryAfterMs: undefined, providerStatus: undefined}), code).toBeUndefined();
		}
	});
});

describe('failedBeforeSend', () => {
	it('sees ECONNREFUSED in the cause of a fetch failure', () => {
		expect(failedBeforeSend(fetchFailed(socketError('ECONNREFUSED')))).toBe(true);
	});

	it('sees a pre-send code on the error itself', () => {
		expect(failedBeforeSend(socketError('ENOTFOUND'))).toBe(true);
	});

	it.each(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME', 'EHOSTUNREACH', 'EHOSTDOWN', 'ENETUNREACH', 'ENETDOWN', 'EADDRNOTAVAIL', 'UND_ERR_CONNECT_TIMEOUT'])('counts %s as failed before send, so that a POST that met it is resent', code => {
		expect(failedBeforeSend(fetchFailed(socketError(code)))).toBe(true);
	});

	it('follows a nested cause chain', () => {
		const inner = socketError('ECONNREFUSED');
		expect(failedBeforeSend(fetchFailed(new Error('connect failed', {cause: new Error('socket', {cause: inner})})))).toBe(true);
	});

	it('accepts a plain object cause with a code, as some runtimes throw', () => {
		expect(failedBeforeSend(fetchFailed({code: 'ECONNREFUSED'}))).toBe(true);
	});

	it('counts an AggregateError as pre-send only when every error in it is', () => {
		const allRefused = new AggregateError([socketError('ECONNREFUSED'), socketError('EHOSTUNREACH')], 'happy eyeballs');
		const oneReset = new AggregateError([socketError('ECONNREFUSED'), socketError('ECONNRESET')], 'happy eyeballs');
		expect(failedBeforeSend(fetchFailed(allRefused))).toBe(true);
		expect(failedBeforeSend(fetchFailed(oneReset))).toBe(false);
	});

	it('does not count an empty AggregateError as pre-send', () => {
		expect(failedBeforeSend(fetchFailed(new AggregateError([], 'nothing')))).toBe(false);
	});

	it.each(['ECONNRESET', 'UND_ERR_SOCKET', 'EPIPE', 'ETIMEDOUT'])('counts %s as maybe sent', code => {
		expect(failedBeforeSend(fetchFailed(socketError(code)))).toBe(false);
	});

	it('counts a failure with no cause, or a non-string code, as maybe sent', () => {
		expect(failedBeforeSend(new TypeError('fetch failed'))).toBe(false);
		expect(failedBeforeSend(fetchFailed({code: 111}))).toBe(false);
	});

	it('returns false for non-objects', () => {
		for (const value of [undefined, null, 'ECONNREFUSED', 111, true]) {
			expect(failedBeforeSend(value), String(value)).toBe(false);
		}
	});

	it('stops on a cyclic cause chain', () => {
		const loop = new Error('loop') as Error & {cause: unknown};
		loop.cause = loop;
		expect(failedBeforeSend(loop)).toBe(false);
	});

	it('stops on an AggregateError that lists itself, and counts it as maybe sent', () => {
		const loop = new AggregateError([socketError('ECONNREFUSED')], 'happy eyeballs');
		loop.errors.push(loop);
		expect(failedBeforeSend(fetchFailed(loop))).toBe(false);
	});

	it('counts a pre-send code buried below five levels of AggregateErrors as maybe sent', () => {
		let error: unknown = socketError('ECONNREFUSED');
		for (let level = 0; level < 5; level++) {
			error = new AggregateError([error], `level ${level}`);
		}

		expect(failedBeforeSend(error)).toBe(false);
		expect(failedBeforeSend((error as AggregateError).errors[0])).toBe(true);
	});
});

describe('isTransient', () => {
	it('follows the catalogue for documented codes', () => {
		expect(isTransient(500, 'EXECUTION_FAILED', undefined)).toBe(true);
		expect(isTransient(429, 'RATE_LIMIT_EXCEEDED', undefined)).toBe(true);
		expect(isTransient(402, 'INSUFFICIENT_CREDITS', undefined)).toBe(false);
	});

	it('judges PROVIDER_SUBMIT_FAILED by its providerStatus when there is one', () => {
		expect(isTransient(500, 'PROVIDER_SUBMIT_FAILED', 503)).toBe(true);
		expect(isTransient(500, 'PROVIDER_SUBMIT_FAILED', 429)).toBe(true);
		expect(isTransient(500, 'PROVIDER_SUBMIT_FAILED', 400)).toBe(false);
		expect(isTransient(500, 'PROVIDER_SUBMIT_FAILED', undefined)).toBe(true);
	});

	it('judges only PROVIDER_SUBMIT_FAILED by a providerStatus, not another code or a codeless body that carries one', () => {
		expect(isTransient(402, 'INSUFFICIENT_CREDITS', 503)).toBe(false);
		expect(isTransient(500, 'EXECUTION_FAILED', 400)).toBe(true);
		expect(isTransient(404, undefined, 503)).toBe(false);
	});

	it('follows a documented code over the status a proxy put on it', () => {
		expect(isTransient(503, 'INVALID_BODY', undefined)).toBe(false);
		expect(isTransient(403, 'RATE_LIMIT_EXCEEDED', undefined)).toBe(true);
	});

	it('judges codeless and unknown-code failures by status', () => {
		expect(isTransient(429, undefined, undefined)).toBe(true);
		expect(isTransient(502, 'UPSTREAM', undefined)).toBe(true);
		expect(isTransient(404, undefined, undefined)).toBe(false);
	});
});
