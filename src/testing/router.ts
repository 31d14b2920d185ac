import {fail} from '../validate.js';

/** The routes the simulator serves, by name. The Knouds documentation publishes none; these are the simulator's own. */
export const routeNames = [
	'POST /v1/models/:internalName/run',
	'GET /v1/executions/:id',
	'POST /v1/workflows',
	'POST /v1/workflows/:slug/run',
	'POST /v1/keys',
] as const;

/** One of the simulator's routes, or `unknown`. */
export type RouteName = typeof routeNames[number] | 'unknown';

/** The path each route is served at, as a template with the route's parameter (`:internalName`, `:id`, `:slug`). */
export type RoutePaths = Readonly<Record<Exclude<RouteName, 'unknown'>, string>>;

/** The default paths: each route's own name. */
export const defaultPaths: RoutePaths = Object.fromEntries(routeNames.map(name => [name, name.split(' ')[1]])) as Record<Exclude<RouteName, 'unknown'>, string>;

const parameters = (template: string): string[] => [...template.matchAll(/:(\w+)/g)].map(match => match[1] ?? '');

const decode = (segment: string): string => {
	try {
		return decodeURIComponent(segment);
	} catch {
		return segment;
	}
};

/**
Compiles route paths into a matcher from a method and path to the route and its one parameter.
A path must start with `/` and hold exactly the parameter of its route.
*/
export const createRouter = (paths: RoutePaths): ((method: string, pathname: string) => {route: RouteName; param: string}) => {
	const compiled = routeNames.map(route => {
		const template: unknown = paths[route];
		const expected = parameters(route).join(', ');
		if (typeof template !== 'string' || !template.startsWith('/') || parameters(template).join(', ') !== expected) {
			fail(`paths['${route}']`, `a path starting with '/'${expected === '' ? ' without parameters' : ` with the parameter :${expected}`}`, template);
		}

		const source = template.replaceAll(/[.*+?^${}()|[\]\\]/g, '\\$&').replaceAll(/:\w+/g, '([^/]+)');
		return {route, method: route.split(' ')[0], pattern: new RegExp(`^${source}$`)};
	});
	for (const [index, {route, method, pattern}] of compiled.entries()) {
		const twin = compiled.slice(0, index).find(other => other.method === method && other.pattern.source === pattern.source);
		if (twin !== undefined) {
			fail(`paths['${route}']`, `a path that no other ${method} route has (it repeats '${twin.route}')`, paths[route]);
		}
	}

	return (method, pathname) => {
		for (const {route, method: routeMethod, pattern} of compiled) {
			const match = pattern.exec(pathname);
			if (match !== null && method === routeMethod) {
				return {route, param: decode(match[1] ?? '')};
			}
		}

		return {route: 'unknown', param: ''};
	};
};
