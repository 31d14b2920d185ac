import {describe, expect, it} from 'vitest';
import {createRouter, defaultPaths, routeNames} from '../../src/testing/router.js';
import {resolveScenario} from '../../src/testing/resolve-scenario.js';

describe('the simulator router', () => {
	it('serves every route at its own name by default, with its parameter decoded', () => {
		const match = createRouter(defaultPaths);
		expect(routeNames.map(name => match(name.split(' ')[0]!, name.split(' ')[1]!.replace(/:\w+/, 'a%20b')))).toEqual(routeNames.map(route => ({route, param: route.includes(':') ? 'a b' : ''})));
	});

	it('tells a wrong method or an unknown path from a route', () => {
		const match = createRouter(defaultPaths);
		expect(match('GET', '/v1/keys')).toEqual({route: 'unknown', param: ''});
		expect(match('POST', '/v1/models/x/run/extra')).toEqual({route: 'unknown', param: ''});
	});

	it('serves a route at a configured path instead of the default one', () => {
		const match = createRouter({...defaultPaths, 'POST /v1/models/:internalName/run': '/api/v2.1/run/:internalName'});
		expect(match('POST', '/api/v2.1/run/text-small')).toEqual({route: 'POST /v1/models/:internalName/run', param: 'text-small'});
		expect(match('POST', '/v1/models/text-small/run').route).toBe('unknown');
		// The dot is a dot, not a regular-expression wildcard.
		expect(match('POST', '/api/v2x1/run/text-small').route).toBe('unknown');
	});

	it.each([
		['a path without its parameter', '/api/run'],
		['a path with another parameter', '/api/run/:name'],
		['a path with two parameters', '/api/:a/run/:internalName'],
		['a path without a leading slash', 'api/run/:internalName'],
	])('refuses %s, naming the route', (_label, path) => {
		expect(() => createRouter({...defaultPaths, 'POST /v1/models/:internalName/run': path})).toThrow(/`paths\['POST \/v1\/models\/:internalName\/run'\]` to be a path starting with '\/' with the parameter :internalName/);
	});

	it('takes paths from a scenario, merged over the defaults, and checks them when the scenario resolves', () => {
		expect(resolveScenario({paths: {'POST /v1/keys': '/keys'}}).paths).toEqual({...defaultPaths, 'POST /v1/keys': '/keys'});
		expect(() => resolveScenario({paths: {'GET /v1/executions/:id': '/executions'}})).toThrow(TypeError);
	});
});
