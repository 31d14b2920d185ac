import {readFileSync} from 'node:fs';
import {describe, expect, it} from 'vitest';
import {routeNames, scenarios} from '../../src/testing/index.js';

const guide = readFileSync(new URL('../../docs/simulator.md', import.meta.url), 'utf8');
const world = scenarios.default;
const rows = (pattern: RegExp, text = guide): string[][] => [...text.matchAll(pattern)].map(match => match.slice(1));
const section = (heading: string): string => guide.split(heading)[1]?.split(/^#/m)[0] ?? '';

describe('the simulator guide', () => {
	it('lists every route the simulator serves, and no other', () => {
		expect(rows(/^\| `(\w+ \/[^`]+)` \|/gm).flat()).toEqual([...routeNames]);
	});

	it('lists every scenario that ships', () => {
		expect(rows(/^\| `([\w-]+)` \|/gm, section('## Scenarios')).flat()).toEqual(Object.keys(scenarios));
	});

	it('lists the default keys with the account, tier and creation date the code gives them', () => {
		const documented = rows(/^\| `(sim-[\w-]+)` \| ([\w-]+) \| (\w+) \| [^|]+ \| (\d{4}-\d{2}-\d{2}) \|/gm);
		const actual = world.accounts.flatMap(account => account.keys.map(key => [key.key, account.id, account.tier, key.createdAt.slice(0, 10)]));
		expect(documented.sort()).toEqual(actual.sort());
	});

	it('lists the default models with the tier, price and async support the code gives them', () => {
		const documented = rows(/^\| `([\w-]+)` \| (yes|no) \| (\w+) \| (\d+) \| (yes|no) \|$/gm);
		const actual = world.models.map(model => [model.internalName, model.enabled ? 'yes' : 'no', model.minTier, String(model.price), model.async ? 'yes' : 'no']);
		expect(documented).toEqual(actual);
	});

	it('lists the default tiers with their limits and grants as the code has them', () => {
		const documented = rows(/^\| (free|pro|enterprise) \| (\d+) \| (\d+|no cap) \| (yes|no) \|/gm);
		const actual = Object.entries(world.tiers).map(([name, tier]) => [name, String(tier.requestsPerWindow), tier.maxWorkflows === null ? 'no cap' : String(tier.maxWorkflows), tier.canCreateKeys ? 'yes' : 'no']);
		expect(documented).toEqual(actual);
		expect(guide).toContain(`\`text-small\` ${world.tiers['free']!.grants['text-small']!} runs, \`image-fast\` ${world.tiers['free']!.grants['image-fast']!}`);
	});
});
