// @ts-check
import {declareValuePlugin, PluginKind} from '@stryker-mutator/api/plugin';

/**
A Stryker ignorer for the type after `satisfies`. Stryker's instrumenter (10.1) mutates the `true` in
`{...} as const satisfies {[K in keyof Options]-?: true}` as if it were a value, then cannot place the
mutant and aborts the whole run (stryker-js issue 6149). The type is erased at run time, so nothing is
lost by leaving it alone; the value before `satisfies` is still mutated.
*/
const satisfiesType = {
	/** @param {import('@babel/core').NodePath} path */
	shouldIgnore(path) {
		return path.parentPath?.isTSSatisfiesExpression() && path.key === 'typeAnnotation'
			? 'A type after `satisfies`: erased at run time.'
			: undefined;
	},
};

export const strykerPlugins = [declareValuePlugin(PluginKind.Ignore, 'satisfies-type', satisfiesType)];
