/**
The simulator's capability grammar (the Knouds docs give only `model:run` as an example):
`<resource>:<verb>`, optionally narrowed to one model or workflow with `:<slug>`, as in `model:run:text-small`.
*/
const verbs: Readonly<Record<string, readonly string[]>> = {
	model: ['run', 'manage'],
	execution: ['read'],
	workflow: ['create', 'run'],
	key: ['create'],
};

// Only running can be narrowed to one target; the other verbs are account-wide.
const scopable = new Set(['model:run', 'workflow:run']);

/** The slug pattern of model internalNames and workflow slugs: lowercase letters, digits and hyphens. */
export const slugPattern = /^[a-z\d]+(?:-[a-z\d]+)*$/;

/** The account-wide form of a capability (`model:run` for `model:run:text-small`), or `undefined` if it is malformed. */
export const baseCapability = (capability: string): string | undefined => {
	const [resource = '', verb = '', scope, ...rest] = capability.split(':');
	const base = `${resource}:${verb}`;
	if (rest.length > 0 || !Object.hasOwn(verbs, resource) || !verbs[resource]?.includes(verb)) {
		return undefined;
	}

	if (scope !== undefined && (!scopable.has(base) || !slugPattern.test(scope))) {
		return undefined;
	}

	return base;
};

/** Whether held capabilities allow `required` (such as `model:run`) on `target` (a model or workflow slug). */
export const allows = (held: readonly string[], required: string, target?: string): boolean =>
	held.includes(required) || (target !== undefined && held.includes(`${required}:${target}`));
