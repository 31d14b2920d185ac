import {describe, expect, it} from 'vitest';
import {latchesOn, latchFor, parseLatched} from '../../src/coordination/latch.js';
import type {ResolvedCoordination} from '../../src/coordination/options.js';

type LatchConfig = ResolvedCoordination['latch'];

const defaults: LatchConfig = {deadKey: true, credits: undefined, grant: undefined};
const everything: LatchConfig = {deadKey: true, credits: 60_000, grant: 3_600_000};
const nothing: LatchConfig = {deadKey: false, credits: undefined, grant: undefined};
const path = '/v1/models/flux-pro/runs';

describe('latchFor a dead key', () => {
	it('latches the codeless 401 for good', () => {
		expect(latchFor(401, undefined, path, defaults)).toEqual({name: 'key', ttlMs: Number.POSITIVE_INFINITY});
	});

	it('latches LEGACY_KEY_RETIRED for good', () => {
		expect(latchFor(401, 'LEGACY_KEY_RETIRED', path, defaults)).toEqual({name: 'key', ttlMs: Number.POSITIVE_INFINITY});
	});

	it('scopes the dead key latch by key alone, whatever the path', () => {
		expect(latchFor(401, undefined, '/v1/other', everything)).toEqual(latchFor(401, undefined, path, everything));
	});

	it('latches nothing for a dead key when deadKey is false', () => {
		const config: LatchConfig = {...everything, deadKey: false};
		expect(latchFor(401, undefined, path, config)).toBeUndefined();
		expect(latchFor(401, 'LEGACY_KEY_RETIRED', path, config)).toBeUndefined();
	});

	it('latches nothing for a 401 that carries another, undocumented code', () => {
		expect(latchFor(401, 'KEY_SUSPENDED', path, defaults)).toBeUndefined();
	});
});

describe('latchFor credits and grants', () => {
	it('latches INSUFFICIENT_CREDITS for the configured time', () => {
		expect(latchFor(402, 'INSUFFICIENT_CREDITS', path, everything)).toEqual({name: 'credits', ttlMs: 60_000});
	});

	it('scopes the credits latch by key alone, whatever the path', () => {
		expect(latchFor(402, 'INSUFFICIENT_CREDITS', '/v1/other', everything)).toEqual({name: 'credits', ttlMs: 60_000});
	});

	it('latches grant_exhausted for the configured time, scoped by path', () => {
		expect(latchFor(402, 'grant_exhausted', path, everything)).toEqual({name: `grant:${path}`, ttlMs: 3_600_000});
		expect(latchFor(402, 'grant_exhausted', '/v1/models/other/runs', everything)).toEqual({name: 'grant:/v1/models/other/runs', ttlMs: 3_600_000});
	});

	it('latches neither when they are not configured', () => {
		expect(latchFor(402, 'INSUFFICIENT_CREDITS', path, defaults)).toBeUndefined();
		expect(latchFor(402, 'grant_exhausted', path, defaults)).toBeUndefined();
	});

	it('latches each one only when that one is configured', () => {
		expect(latchFor(402, 'INSUFFICIENT_CREDITS', path, {...defaults, grant: 1000})).toBeUndefined();
		expect(latchFor(402, 'grant_exhausted', path, {...defaults, credits: 1000})).toBeUndefined();
	});

	it('matches grant_exhausted case-sensitively', () => {
		expect(latchFor(402, 'GRANT_EXHAUSTED', path, everything)).toBeUndefined();
	});
});

describe('latchFor other answers', () => {
	it('latches nothing for other codes and statuses, whatever is configured', () => {
		const answers: ReadonlyArray<[number, string | undefined]> = [
			[403, 'CAPABILITY_DENIED'],
			[429, 'RATE_LIMIT_EXCEEDED'],
			[429, undefined],
			[500, undefined],
			[503, undefined],
			[400, 'INVALID_BODY'],
			[403, 'MODEL_TIER_REQUIRED'],
			[403, undefined],
			[200, undefined],
		];
		for (const [status, code] of answers) {
			expect(latchFor(status, code, path, everything), `${status} ${code}`).toBeUndefined();
		}
	});

	it('latches nothing at all with every latch off', () => {
		expect(latchFor(401, undefined, path, nothing)).toBeUndefined();
		expect(latchFor(402, 'INSUFFICIENT_CREDITS', path, nothing)).toBeUndefined();
		expect(latchFor(402, 'grant_exhausted', path, nothing)).toBeUndefined();
	});
});

describe('latchesOn', () => {
	it('names the key, credits and grant latches for the path, in that order', () => {
		expect(latchesOn(path)).toEqual(['key', 'credits', `grant:${path}`]);
	});

	it('names every latch that latchFor can set for the path', () => {
		for (const [status, code] of [[401, undefined], [402, 'INSUFFICIENT_CREDITS'], [402, 'grant_exhausted']] as const) {
			expect(latchesOn(path)).toContain(latchFor(status, code, path, everything)!.name);
		}
	});

	it('does not name the grant latch of another path', () => {
		expect(latchesOn('/v1/other')).not.toContain(latchFor(402, 'grant_exhausted', path, everything)!.name);
	});
});

describe('parseLatched', () => {
	it('reads a stored failure with its body', () => {
		const body = {error: 'Not enough credits', code: 'INSUFFICIENT_CREDITS'};
		expect(parseLatched(JSON.stringify({status: 402, body}))).toEqual({status: 402, body});
	});

	it('reads a stored failure without a body', () => {
		expect(parseLatched('{"status":401}')).toEqual({status: 401, body: undefined});
	});

	it('reads the edges of the error range', () => {
		expect(parseLatched('{"status":400}')?.status).toBe(400);
		expect(parseLatched('{"status":599}')?.status).toBe(599);
	});

	it('reads an absent value as undefined', () => {
		expect(parseLatched(undefined)).toBeUndefined();
	});

	it('rejects anything that is not JSON', () => {
		for (const text of ['', 'latched', '{status: 401}', '{"status":401']) {
			expect(parseLatched(text), text).toBeUndefined();
		}
	});

	it('rejects JSON that is not a stored failure', () => {
		for (const text of ['null', '401', '"401"', 'true', '[]', '{}', '{"body":{}}']) {
			expect(parseLatched(text), text).toBeUndefined();
		}
	});

	it('rejects a status that is not a number of the error range', () => {
		for (const text of ['{"status":"401"}', '{"status":null}', '{"status":200}', '{"status":399}', '{"status":600}', '{"status":-401}', '{"status":1e999}']) {
			expect(parseLatched(text), text).toBeUndefined();
		}
	});
});
