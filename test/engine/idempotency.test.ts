import {describe, expect, it} from 'vitest';
import {api, knoudsBody} from '../support/http.js';
import {surfaces} from '../support/surfaces.js';

const socketError = (code: string): Error => Object.assign(new Error(`socket failure ${code}`), {code});
const noWait = {random: () => 0};

describe.each(surfaces)('$name', surface => {
	it('does not resend a POST after a connection reset that may have reached the server', async () => {
		const scope = api().post('/run').replyWithError(socketError('ECONNRESET')).post('/run').reply(200, {});
		const outcome = await surface.run({path: '/run', method: 'POST', json: {inputs: {}}}, noWait);
		expect(outcome.kind).toBe('thrown');
		expect(scope.pendingMocks()).toHaveLength(1);
	});

	it('says why a POST lost to a network error was not resent, and what to do, on ky\'s NetworkError and never on fetch\'s own error', async () => {
		api().post('/run').replyWithError(socketError('ECONNRESET'));
		const outcome = await surface.run({path: '/run', method: 'POST', json: {inputs: {}}}, noWait);
		const error = outcome.kind === 'thrown' ? outcome.error as Error : undefined;
		if (surface.name === 'createKnoudsFetch') {
			// Left exactly as fetch rejects, since ky's fetch option and is-network-error recognise it by its message.
			expect(error).toMatchObject({name: 'TypeError', message: 'fetch failed'});
			return;
		}

		expect(error?.name).toBe('NetworkError');
		expect(error?.message).toMatch(/^Request failed due to a network error: POST \S+ Not resent: the POST may have reached the server and run, and POST is not in `idempotentMethods`\. Check whether it took effect before sending it again; if it is safe to repeat, add 'POST' to `idempotentMethods`\.$/);
	});

	it('says nothing of resending when a GET ran out of retries after network errors', async () => {
		api().get('/run').times(4).replyWithError(socketError('ECONNRESET'));
		const outcome = await surface.run({path: '/run'}, noWait);
		expect(outcome.kind === 'thrown' && (outcome.error as Error).message).not.toContain('Not resent');
	});

	it('resends a GET after a connection reset', async () => {
		const scope = api().get('/run').replyWithError(socketError('ECONNRESET')).get('/run').reply(200, {ok: true});
		expect(await surface.run({path: '/run'}, noWait)).toEqual({kind: 'ok', status: 200, body: {ok: true}});
		expect(scope.isDone()).toBe(true);
	});

	it('resends a POST when the connection was refused before anything was sent', async () => {
		const scope = api().post('/run').replyWithError(socketError('ECONNREFUSED')).post('/run').reply(200, {ok: true});
		expect(await surface.run({path: '/run', method: 'POST', json: {inputs: {}}}, noWait)).toMatchObject({kind: 'ok'});
		expect(scope.isDone()).toBe(true);
	});

	it('resends a POST after a reset when the user declares POST idempotent', async () => {
		const scope = api().post('/run').replyWithError(socketError('ECONNRESET')).post('/run').reply(200, {});
		const outcome = await surface.run({path: '/run', method: 'POST'}, {...noWait, idempotentMethods: ['GET', 'POST']});
		expect(outcome.kind).toBe('ok');
		expect(scope.isDone()).toBe(true);
	});

	it('retries Knouds error codes on POST, since the API says they are safe to retry', async () => {
		const scope = api().post('/run').reply(500, knoudsBody('PROVIDER_RESPONSE_INCOMPLETE')).post('/run').reply(200, {});
		expect((await surface.run({path: '/run', method: 'POST'}, noWait)).kind).toBe('ok');
		expect(scope.isDone()).toBe(true);
	});

	it('gives up on network errors after the NETWORK_ERROR retries and rejects with the network error', async () => {
		const scope = api().get('/run').times(4).replyWithError(socketError('ECONNRESET'));
		const outcome = await surface.run({path: '/run'}, noWait);
		expect(scope.isDone()).toBe(true);
		expect(outcome.kind).toBe('thrown');
		expect(String((outcome as {error: unknown}).error)).toMatch(/fetch failed|network error/i);
	});
});
