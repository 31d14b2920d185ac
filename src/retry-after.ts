const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const dayNames = '(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)';
const monthNames = '(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)';
const time = '(\\d{2}):(\\d{2}):(\\d{2})';

// RFC 9110 §5.6.7: IMF-fixdate, and the two obsolete forms a recipient must still accept.
const imfFixdate = new RegExp(`^${dayNames}, (\\d{2}) ${monthNames} (\\d{4}) ${time} GMT$`);
const rfc850Date = new RegExp(`^(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), (\\d{2})-${monthNames}-(\\d{2}) ${time} GMT$`);
const asctimeDate = new RegExp(`^${dayNames} ${monthNames} ([\\d ]\\d) ${time} (\\d{4})$`);

// Lenient on purpose: RFC 9110 allows only whole seconds, but a server that sends `1.5` clearly
// meant a wait, and honouring it is safer than retrying at once.
const seconds = /^\d+(?:\.\d+)?$/;

type DateParts = {year: number; month: string; day: string; hours: string; minutes: string; seconds: string};

// What each date form's expression captures: every group is required, so a match holds a string in each.
type Captured = readonly [string, string, string, string, string, string, string];

const toTimestamp = (parts: DateParts): number | undefined => {
	const month = months.indexOf(parts.month);
	const [day, hours, minutes, secs] = [parts.day, parts.hours, parts.minutes, parts.seconds].map(Number) as [number, number, number, number];
	if (hours > 23 || minutes > 59 || secs > 60) {
		return undefined;
	}

	// Not Date.UTC, which reads years 0 to 99 as 1900 to 1999: 29 February of year 0 would roll over.
	const date = new Date(0);
	date.setUTCFullYear(parts.year, month, day);
	date.setUTCHours(hours, minutes, Math.min(secs, 59));
	// 31 Feb rolls over into March; a date that does not survive the round trip is not a date.
	if (date.getUTCMonth() !== month || date.getUTCDate() !== day) {
		return undefined;
	}

	return date.getTime() + (secs === 60 ? 1000 : 0);
};

/**
Parses an HTTP-date in any of the three forms RFC 9110 requires a recipient to accept.

@returns Milliseconds since the epoch, or `undefined` when the value is not an HTTP-date.
*/
export const parseHttpDate = (value: string, now: number): number | undefined => {
	const imf = imfFixdate.exec(value);
	if (imf) {
		const [, day, month, year, hours, minutes, secs] = imf as unknown as Captured;
		return toTimestamp({year: Number(year), month, day, hours, minutes, seconds: secs});
	}

	const rfc850 = rfc850Date.exec(value);
	if (rfc850) {
		const [, day, month, shortYear, hours, minutes, secs] = rfc850 as unknown as Captured;
		// RFC 9110: a two-digit year is the latest year with those digits not more than 50 years ahead.
		const currentYear = new Date(now).getUTCFullYear();
		let year = (Math.floor(currentYear / 100) * 100) + Number(shortYear);
		if (year > currentYear + 50) {
			year -= 100;
		} else if (year + 100 <= currentYear + 50) {
			year += 100;
		}

		return toTimestamp({year, month, day, hours, minutes, seconds: secs});
	}

	const asctime = asctimeDate.exec(value);
	if (asctime) {
		const [, month, day, hours, minutes, secs, year] = asctime as unknown as Captured;
		return toTimestamp({year: Number(year), month, day: day.trim(), hours, minutes, seconds: secs});
	}

	return undefined;
};

/**
Turns a `Retry-After` header value into a wait in milliseconds.

Accepts delta-seconds (`120`, and leniently `1.5`) and HTTP-dates. A date is measured against the
response's own `Date` header when one is given, so a skewed local clock does not stretch or shrink
the wait. A date in the past means "retry now" (0).

@param value - The header value, or `null` when the header is absent.
@param now - The local clock, in milliseconds since the epoch.
@param serverDate - The response's `Date` header, if any.
@returns The wait in whole milliseconds (at most `Number.MAX_SAFE_INTEGER`), or `undefined` when the header is absent or malformed.
*/
export const parseRetryAfter = (value: string | null | undefined, now: number, serverDate?: string | null): number | undefined => {
	if (typeof value !== 'string') {
		return undefined;
	}

	const trimmed = value.trim();
	if (seconds.test(trimmed)) {
		// Split at the point instead of multiplying a float, which turns 4.03 s into 4030.0000000000005 ms.
		const [whole, fraction = ''] = trimmed.split('.') as unknown as readonly [string, string?];
		const millis = Number(fraction.padEnd(3, '0').slice(0, 3)) + (/[1-9]/.test(fraction.slice(3)) ? 1 : 0);
		return Math.min((Number(whole) * 1000) + millis, Number.MAX_SAFE_INTEGER);
	}

	const at = parseHttpDate(trimmed, now);
	if (at === undefined) {
		return undefined;
	}

	const reference = typeof serverDate === 'string' ? parseHttpDate(serverDate.trim(), now) ?? now : now;
	return Math.max(0, at - reference);
};
