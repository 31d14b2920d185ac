import fc from 'fast-check';
import {describe, expect, it} from 'vitest';
import {allows, baseCapability, slugPattern} from '../../src/testing/capabilities.js';

const accountWide = ['model:run', 'model:manage', 'execution:read', 'workflow:create', 'workflow:run', 'key:create'] as const;
const scopable = ['model:run', 'workflow:run'] as const;

describe('baseCapability', () => {
	it('returns an account-wide capability unchanged', () => {
		for (const capability of accountWide) {
			expect(baseCapability(capability)).toBe(capability);
		}
	});

	it('returns the account-wide form of a capability narrowed to one model or workflow', () => {
		expect(baseCapability('model:run:text-small')).toBe('model:run');
		expect(baseCapability('workflow:run:my-flow')).toBe('workflow:run');
		expect(baseCapability('model:run:v2')).toBe('model:run');
	});

	it('rejects a verb that its resource does not have', () => {
		expect(baseCapability('model:fly')).toBeUndefined();
		expect(baseCapability('execution:run')).toBeUndefined();
		expect(baseCapability('key:read')).toBeUndefined();
		expect(baseCapability('model:')).toBeUndefined();
		expect(baseCapability('model')).toBeUndefined();
	});

	it('rejects an unknown resource', () => {
		expect(baseCapability('billing:read')).toBeUndefined();
		expect(baseCapability(':run')).toBeUndefined();
		expect(baseCapability('')).toBeUndefined();
	});

	it('is case-sensitive about resources and verbs', () => {
		expect(baseCapability('Model:run')).toBeUndefined();
		expect(baseCapability('model:RUN')).toBeUndefined();
	});

	it('rejects a scope on a verb that is account-wide', () => {
		expect(baseCapability('key:create:x')).toBeUndefined();
		expect(baseCapability('model:manage:text-small')).toBeUndefined();
		expect(baseCapability('execution:read:abc')).toBeUndefined();
		expect(baseCapability('workflow:create:my-flow')).toBeUndefined();
	});

	it('rejects a scope that is not a slug', () => {
		expect(baseCapability('model:run:Bad_Slug')).toBeUndefined();
		expect(baseCapability('model:run:')).toBeUndefined();
		expect(baseCapability('model:run:-leading')).toBeUndefined();
		expect(baseCapability('model:run:trailing-')).toBeUndefined();
		expect(baseCapability('model:run:double--hyphen')).toBeUndefined();
		expect(baseCapability('workflow:run:my flow')).toBeUndefined();
		expect(baseCapability('model:run:*')).toBeUndefined();
	});

	it('rejects extra segments after the scope', () => {
		expect(baseCapability('model:run:text-small:extra')).toBeUndefined();
		expect(baseCapability('model:run:text-small:')).toBeUndefined();
		expect(baseCapability('workflow:run:a:b:c')).toBeUndefined();
	});

	it('maps every scopable capability narrowed to any slug to its account-wide form', () => {
		fc.assert(fc.property(fc.constantFrom(...scopable), fc.stringMatching(slugPattern), (capability, slug) => {
			expect(baseCapability(`${capability}:${slug}`)).toBe(capability);
		}));
	});

	it('rejects every account-wide-only capability narrowed to any slug', () => {
		const fixed = accountWide.filter(capability => !(scopable as readonly string[]).includes(capability));
		fc.assert(fc.property(fc.constantFrom(...fixed), fc.stringMatching(slugPattern), (capability, slug) => {
			expect(baseCapability(`${capability}:${slug}`)).toBeUndefined();
		}));
	});

	it('returns either undefined or one of the six account-wide capabilities for any string', () => {
		// Segments are drawn from the grammar's own words, a slug, a bad slug and empty strings.
		const segment = fc.constantFrom('model', 'execution', 'workflow', 'key', 'run', 'read', 'create', 'manage', 'x', '', 'text-small', 'Bad_Slug');
		fc.assert(fc.property(fc.array(segment, {minLength: 1, maxLength: 5}), segments => {
			const result = baseCapability(segments.join(':'));
			expect(result === undefined || (accountWide as readonly string[]).includes(result)).toBe(true);
		}));
	});
});

describe('allows', () => {
	it('allows an action when the account-wide capability is held, on any target or none', () => {
		expect(allows(['model:run'], 'model:run')).toBe(true);
		expect(allows(['model:run'], 'model:run', 'text-small')).toBe(true);
		expect(allows(['execution:read', 'model:run'], 'model:run', 'video-pro')).toBe(true);
	});

	it('allows an action on the one target a scoped capability names', () => {
		expect(allows(['model:run:text-small'], 'model:run', 'text-small')).toBe(true);
		expect(allows(['workflow:run:my-flow'], 'workflow:run', 'my-flow')).toBe(true);
	});

	it('refuses an action on another target than the scoped capability names', () => {
		expect(allows(['model:run:text-small'], 'model:run', 'image-fast')).toBe(false);
		expect(allows(['workflow:run:my-flow'], 'workflow:run', 'other-flow')).toBe(false);
	});

	it('refuses an action without a target when only a scoped capability is held', () => {
		expect(allows(['model:run:text-small'], 'model:run')).toBe(false);
	});

	it('refuses an action whose capability is not held at all', () => {
		expect(allows([], 'model:run', 'text-small')).toBe(false);
		expect(allows(['execution:read'], 'model:run', 'text-small')).toBe(false);
		expect(allows(['workflow:run'], 'model:run', 'text-small')).toBe(false);
		expect(allows(['model:run'], 'key:create')).toBe(false);
	});

	it('does not let a capability of one resource stand for another', () => {
		expect(allows(['model:run:my-flow'], 'workflow:run', 'my-flow')).toBe(false);
		expect(allows(['workflow:run:text-small'], 'model:run', 'text-small')).toBe(false);
	});

	it('matches capabilities exactly, not by prefix', () => {
		expect(allows(['model:run:text'], 'model:run', 'text-small')).toBe(false);
		expect(allows(['model:run:text-small'], 'model:run', 'text')).toBe(false);
	});
});

describe('capabilities named like the properties every object has', () => {
	it.each(['toString:run', 'constructor:run', '__proto__:run', 'hasOwnProperty:x'])('rejects %s instead of throwing', capability => {
		expect(baseCapability(capability)).toBeUndefined();
	});
});
