import fc from 'fast-check';
import {describe, expect, it} from 'vitest';
import {parseHttpDate, parseRetryAfter} from '../src/retry-after.js';

// Tue, 12 May 2026 10:00:00 GMT
const now = Date.UTC(2026, 4, 12, 10, 0, 0);
const earliest = Date.parse('0000-01-01T00:00:00Z');
const latest = Date.parse('9999-12-31T23:59:59.999Z');

const isWait = (value: number | undefined): boolean =>
	value === undefined || (Number.isSafeInteger(value) && value >= 0);

describe('parseRetryAfter with delta-seconds', () => {
	it('turns whole seconds into milliseconds', () => {
		expect(parseRetryAfter('120', now)).toBe(120_000);
		expect(parseRetryAfter('1', now)).toBe(1000);
		expect(parseRetryAfter('0', now)).toBe(0);
	});

	it('ignores whitespace around the value', () => {
		expect(parseRetryAfter('  7\t', now)).toBe(7000);
	});

	it('accepts fractional seconds leniently', () => {
		expect(parseRetryAfter('1.5', now)).toBe(1500);
		expect(parseRetryAfter('0.25', now)).toBe(250);
	});

	it('rounds a sub-millisecond fraction up so the wait is never shortened', () => {
		expect(parseRetryAfter('0.0001', now)).toBe(1);
	});

	it('keeps decimal fractions exact instead of adding a floating-point millisecond', () => {
		// Number('4.03') * 1000 is 4030.0000000000005 in binary floating point, and Math.ceil makes it 4031.
		expect(parseRetryAfter('4.03', now)).toBe(4030);
		expect(parseRetryAfter('16.1', now)).toBe(16_100);
		expect(parseRetryAfter('2.007', now)).toBe(2007);
	});

	it('caps an absurdly long wait at Number.MAX_SAFE_INTEGER', () => {
		expect(parseRetryAfter('9'.repeat(40), now)).toBe(Number.MAX_SAFE_INTEGER);
	});

	it('rejects negative numbers', () => {
		expect(parseRetryAfter('-1', now)).toBeUndefined();
		expect(parseRetryAfter('-0.5', now)).toBeUndefined();
	});

	it('rejects signs, exponents, units and half-written decimals', () => {
		for (const value of ['+5', '1e3', '5s', '.5', '5.', '0x10', '1,5', '1 2']) {
			expect(parseRetryAfter(value, now), value).toBeUndefined();
		}
	});

	it('does not consult the server Date for delta-seconds', () => {
		expect(parseRetryAfter('30', now, 'Tue, 12 May 2026 08:00:00 GMT')).toBe(30_000);
	});
});

describe('parseRetryAfter with HTTP-dates', () => {
	it('reads an IMF-fixdate as the time left until it', () => {
		expect(parseRetryAfter('Tue, 12 May 2026 10:00:30 GMT', now)).toBe(30_000);
	});

	it('reads an RFC 850 date with a two-digit year', () => {
		expect(parseRetryAfter('Tuesday, 12-May-26 10:01:00 GMT', now)).toBe(60_000);
	});

	it('reads an asctime date, including a space-padded day', () => {
		expect(parseRetryAfter('Tue May 12 10:00:05 2026', now)).toBe(5000);
		expect(parseRetryAfter('Sun Nov  6 08:49:37 1994', Date.UTC(1994, 10, 6, 8, 49, 30))).toBe(7000);
	});

	it('treats a date in the past as retry now', () => {
		expect(parseRetryAfter('Tue, 12 May 2026 09:59:00 GMT', now)).toBe(0);
		expect(parseRetryAfter('Sun, 06 Nov 1994 08:49:37 GMT', now)).toBe(0);
	});

	it('treats the current second as retry now', () => {
		expect(parseRetryAfter('Tue, 12 May 2026 10:00:00 GMT', now)).toBe(0);
	});

	it('measures the date against the server Date header rather than the local clock', () => {
		const skewed = now + (3 * 3600 * 1000);
		expect(parseRetryAfter('Tue, 12 May 2026 10:01:00 GMT', skewed, 'Tue, 12 May 2026 10:00:00 GMT')).toBe(60_000);
	});

	it('still measures against a server Date header that arrives with whitespace around it, instead of a skewed local clock', () => {
		const skewed = now + (3 * 3600 * 1000);
		expect(parseRetryAfter('Tue, 12 May 2026 10:01:00 GMT', skewed, '  Tue, 12 May 2026 10:00:00 GMT\t')).toBe(60_000);
	});

	it('falls back to the local clock when the server Date header is unreadable', () => {
		expect(parseRetryAfter('Tue, 12 May 2026 10:00:30 GMT', now, 'yesterday')).toBe(30_000);
		expect(parseRetryAfter('Tue, 12 May 2026 10:00:30 GMT', now, null)).toBe(30_000);
	});

	it('rejects calendar dates that do not exist', () => {
		for (const value of [
			'Tue, 31 Feb 2026 10:00:00 GMT',
			'Tue, 30 Feb 2026 10:00:00 GMT',
			'Sun, 29 Feb 2026 10:00:00 GMT',
			'Tue, 31 Apr 2026 10:00:00 GMT',
			'Tue, 00 May 2026 10:00:00 GMT',
			'Tuesday, 31-Feb-26 10:00:00 GMT',
			'Tue Feb 31 10:00:00 2026',
		]) {
			expect(parseRetryAfter(value, now), value).toBeUndefined();
		}
	});

	it('accepts 29 February in a leap year', () => {
		expect(parseHttpDate('Tue, 29 Feb 2028 00:00:00 GMT', now)).toBe(Date.UTC(2028, 1, 29));
	});

	it('rejects out-of-range times', () => {
		expect(parseRetryAfter('Tue, 12 May 2026 24:00:00 GMT', now)).toBeUndefined();
		expect(parseRetryAfter('Tue, 12 May 2026 10:60:00 GMT', now)).toBeUndefined();
		expect(parseRetryAfter('Tue, 12 May 2026 10:00:61 GMT', now)).toBeUndefined();
	});

	it('rejects other zones and date formats', () => {
		for (const value of [
			'Tue, 12 May 2026 10:00:30 UTC',
			'Tue, 12 May 2026 10:00:30 +0000',
			'2026-05-12T10:00:30Z',
			'tue, 12 may 2026 10:00:30 gmt',
			'Tue, 12 May 2026',
		]) {
			expect(parseRetryAfter(value, now), value).toBeUndefined();
		}
	});
});

describe('parseHttpDate with two-digit years', () => {
	it('puts a year up to 50 years ahead in the current century', () => {
		expect(parseHttpDate('Thursday, 01-Jan-76 00:00:00 GMT', now)).toBe(Date.UTC(2076, 0, 1));
		expect(parseHttpDate('Tuesday, 01-Jan-30 00:00:00 GMT', now)).toBe(Date.UTC(2030, 0, 1));
	});

	it('puts a year more than 50 years ahead in the past century', () => {
		expect(parseHttpDate('Sunday, 06-Nov-94 08:49:37 GMT', now)).toBe(Date.UTC(1994, 10, 6, 8, 49, 37));
		expect(parseHttpDate('Saturday, 01-Jan-77 00:00:00 GMT', now)).toBe(Date.UTC(1977, 0, 1));
	});

	it('puts a year in the next century when that is less than 50 years ahead (RFC 9110 §5.6.7)', () => {
		// In 2090, "05" is 2105 (15 years ahead), not 2005 (85 years ago).
		const in2090 = Date.UTC(2090, 0, 1);
		expect(parseHttpDate('Monday, 05-Jan-05 00:00:00 GMT', in2090)).toBe(Date.UTC(2105, 0, 5));
	});

	it('puts a year exactly 50 years ahead in the next century, not 50 years ago', () => {
		const in2090 = Date.UTC(2090, 0, 1);
		expect(parseHttpDate('Sunday, 01-Jan-40 00:00:00 GMT', in2090)).toBe(Date.UTC(2140, 0, 1));
	});
});

describe('parseRetryAfter with absent or malformed values', () => {
	it('returns undefined for a missing header', () => {
		expect(parseRetryAfter(null, now)).toBeUndefined();
		expect(parseRetryAfter(undefined, now)).toBeUndefined();
	});

	it('returns undefined for empty, blank and garbage values', () => {
		for (const value of ['', '   ', 'soon', 'NaN', 'Infinity', '\u0000']) {
			expect(parseRetryAfter(value, now), JSON.stringify(value)).toBeUndefined();
		}
	});
});

describe('parseRetryAfter properties', () => {
	it('never throws on arbitrary strings and returns undefined or a non-negative whole number', () => {
		const anyString = fc.oneof(fc.string(), fc.string({unit: 'binary'}), fc.stringMatching(/^[\d .:,A-Za-z-]{0,40}$/));
		fc.assert(fc.property(anyString, fc.integer({min: earliest, max: latest}), fc.option(fc.string(), {nil: undefined}), (value, clock, serverDate) => {
			expect(isWait(parseRetryAfter(value, clock, serverDate))).toBe(true);
		}));
	});

	it('round-trips delta-seconds: String(n) is n * 1000 milliseconds', () => {
		fc.assert(fc.property(fc.nat({max: 2 ** 40}), n => {
			expect(parseRetryAfter(String(n), now)).toBe(n * 1000);
		}));
	});

	it('reads seconds with up to three decimals as exact milliseconds', () => {
		fc.assert(fc.property(fc.nat({max: 1e9}), fc.integer({min: 1, max: 3}), (ms, digits) => {
			const exact = ms - (ms % (10 ** (3 - digits)));
			expect(parseRetryAfter((exact / 1000).toFixed(digits), now)).toBe(exact);
		}), {examples: [[4030, 2], [16_100, 1]]});
	});

	it('puts an RFC 850 two-digit year within 50 years either side of the current year', () => {
		fc.assert(fc.property(fc.integer({min: 1900, max: 9000}), fc.nat({max: 99}), (currentYear, shortYear) => {
			const clock = Date.UTC(currentYear, 6, 1);
			const at = parseHttpDate(`Monday, 01-Jan-${String(shortYear).padStart(2, '0')} 00:00:00 GMT`, clock);
			const year = new Date(at!).getUTCFullYear();
			expect(year % 100).toBe(shortYear);
			expect(year).toBeGreaterThan(currentYear - 50);
			expect(year).toBeLessThanOrEqual(currentYear + 50);
		}));
	});

	it('reads back any date from toUTCString as the whole seconds left until it, or 0', () => {
		fc.assert(fc.property(fc.integer({min: earliest, max: latest}), fc.integer({min: -1e10, max: 1e10}), (t, offset) => {
			const clock = t + offset;
			const expected = Math.max(0, (Math.floor(t / 1000) * 1000) - clock);
			expect(parseRetryAfter(new Date(t).toUTCString(), clock)).toBe(expected);
		}));
	});

	it('is immune to local clock skew when the server Date header is given', () => {
		const serverSecond = fc.integer({min: Date.UTC(1970, 0, 1) / 1000, max: Date.UTC(2200, 0, 1) / 1000});
		fc.assert(fc.property(serverSecond, fc.nat({max: 86_400 * 30}), fc.integer({min: -1e11, max: 1e11}), (server, wait, skew) => {
			const serverTime = server * 1000;
			const at = new Date(serverTime + (wait * 1000)).toUTCString();
			expect(parseRetryAfter(at, serverTime + skew, new Date(serverTime).toUTCString())).toBe(wait * 1000);
		}));
	});
});
