// Edits between two names, a swap of neighbours counting as one (`brust` is one edit from `burst`).
const distance = (a: string, b: string): number => {
	const rows: number[][] = Array.from({length: a.length + 1}, (_, i) => Array.from({length: b.length + 1}, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
	const at = (i: number, j: number): number => rows[i]?.[j] ?? Number.POSITIVE_INFINITY;
	for (let i = 1; i <= a.length; i++) {
		for (let j = 1; j <= b.length; j++) {
			const cost = a[i - 1] === b[j - 1] ? 0 : 1;
			let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
			if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
				best = Math.min(best, at(i - 2, j - 2) + 1);
			}

			(rows[i] as number[])[j] = best;
		}
	}

	return at(a.length, b.length);
};

/**
The known name a mistyped one most likely meant: the same but for case, or one edit away (two for a
name of six characters or more), where an edit adds, drops or changes a character or swaps two
neighbours. `undefined` when none is that close.
*/
export const closest = (name: string, known: readonly string[]): string | undefined => {
	const lower = name.toLowerCase();
	const sameButCase = known.find(candidate => candidate.toLowerCase() === lower);
	if (sameButCase !== undefined) {
		return sameButCase;
	}

	const allowed = lower.length >= 6 ? 2 : 1;
	let best: {name: string; edits: number} | undefined;
	for (const candidate of known) {
		const edits = distance(lower, candidate.toLowerCase());
		if (edits <= allowed && (best === undefined || edits < best.edits)) {
			best = {name: candidate, edits};
		}
	}

	return best?.name;
};

/**
A " (did you mean `burst`?)" hint for a mistyped name, or nothing when no known name is close.
*/
export const didYouMean = (name: string, known: readonly string[]): string => {
	const match = closest(name, known);
	return match === undefined ? '' : ` (did you mean \`${match}\`?)`;
};
