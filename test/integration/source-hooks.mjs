// Lets a child `node` process import src/ as it is, for tests that need a process of their own but are
// not about the build: src/ imports name the `.js` files tsc emits, which this resolves to the `.ts`
// source beside them. Use with `--experimental-transform-types` (src has parameter properties).
import {registerHooks} from 'node:module';

registerHooks({
	resolve(specifier, context, nextResolve) {
		try {
			return nextResolve(specifier, context);
		} catch (error) {
			if (specifier.startsWith('.') && specifier.endsWith('.js')) {
				return nextResolve(`${specifier.slice(0, -3)}.ts`, context);
			}

			throw error;
		}
	},
});
