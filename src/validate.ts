const describe = (value: unknown): string => {
	if (typeof value === 'string') {
		return `'${value}'`;
	}

	if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint' || value === undefined || value === null) {
		return String(value);
	}

	if (typeof value === 'function') {
		return 'a function';
	}

	if (Array.isArray(value)) {
		return 'an array';
	}

	return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
};

/**
Throws the TypeError an invalid option gets: it names the option, what was expected and what came.
*/
export function fail(option: string, expected: string, got: unknown, problem?: string): never {
	throw new TypeError(problem === undefined
		? `Expected \`${option}\` to be ${expected}, got ${describe(got)}.`
		: `\`${option}\` ${problem}; expected ${expected}.`);
}

/**
A "did you mean" hint for a key that differs from a known one only in case, such as `GRANT_EXHAUSTED`.
*/
export const suggest = (key: string, known: readonly string[]): string => {
	const match = known.find(candidate => candidate.toLowerCase() === key.toLowerCase());
	return match === undefined ? '' : ` (did you mean \`${match}\`? Codes are case-sensitive)`;
};

/** Whether a value is a plain object (not null, not an array): what options and JSON bodies must be. */
export const isRecord = (value: unknown): value is Record<string, unknown> =>
	typeof value === 'object' && value !== null && !Array.isArray(value);
