/** How deep a value may nest and still be serialised: far deeper than any error body the API writes. */
export const maxJsonDepth = 64;

// Walks the value without recursion, so that a body nested thousands deep (which JSON.parse accepts)
// cannot exhaust the stack here; stops at the first container past `maxDepth`, or past `maxContainers`.
const nestsWithin = (value: unknown, maxDepth: number, maxContainers: number): boolean => {
	const stack: Array<{readonly value: unknown; readonly depth: number}> = [{value, depth: 0}];
	let seen = 0;
	for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
		const {value: item, depth} = next;
		if (typeof item !== 'object' || item === null) {
			continue;
		}

		if (depth >= maxDepth || ++seen > maxContainers) {
			return false;
		}

		for (const child of Array.isArray(item) ? item : Object.values(item)) {
			stack.push({value: child, depth: depth + 1});
		}
	}

	return true;
};

/**
The JSON text of a value when it nests at most `maxJsonDepth` deep and its text is at most `maxLength`
characters, else `undefined`. Never throws: a cycle, a BigInt or a throwing `toJSON` give `undefined`.
*/
export const boundedJson = (value: unknown, maxLength: number): string | undefined => {
	// Each object or array takes two characters at least: more of them than half the length allowed cannot fit.
	if (!nestsWithin(value, maxJsonDepth, maxLength / 2)) {
		return undefined;
	}

	try {
		const text = JSON.stringify(value) as string | undefined;
		return text !== undefined && text.length <= maxLength ? text : undefined;
	} catch {
		return undefined;
	}
};
