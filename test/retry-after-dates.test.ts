import {describe, expect, it} from 'vitest';
import {parseHttpDate} from '../src/retry-after.js';

// A Retry-After date a server gets slightly wrong must not turn into a wait of the wrong length:
// what is not a real moment is refused (the client then backs off), and a leap second counts.

const now = Date.UTC(2026, 2, 1);

describe('parseHttpDate', () => {
	it('takes the last valid moment of a day, and a leap second as the second after 23:59:59', () => {
		expect(parseHttpDate('Tue, 31 Mar 2026 23:59:59 GMT', now)).toBe(Date.UTC(2026, 2, 31, 23, 59, 59));
		expect(parseHttpDate('Wed, 31 Dec 2025 23:59:60 GMT', now)).toBe(Date.UTC(2026, 0, 1, 0, 0, 0));
	});

	it.each([
		['an hour past 23', 'Tue, 31 Mar 2026 24:00:00 GMT'],
		['a minute past 59', 'Tue, 31 Mar 2026 23:60:00 GMT'],
		['a second past 60', 'Tue, 31 Mar 2026 23:59:61 GMT'],
		['a day the month does not have', 'Mon, 31 Feb 2026 10:00:00 GMT'],
		['day 0', 'Sun, 00 Mar 2026 10:00:00 GMT'],
	])('refuses %s', (_name, value) => {
		expect(parseHttpDate(value, now)).toBeUndefined();
	});
});

describe('parseHttpDate at the edge of the calendar', () => {
	it('reads back 29 February of year 0, a leap year, as toUTCString writes it', () => {
		const at = Date.parse('0000-02-29T00:00:00Z');
		expect(parseHttpDate(new Date(at).toUTCString(), 0)).toBe(at);
	});
});
