// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
	{ignores: ['dist/', 'node_modules/', 'coverage/', 'reports/', '.stryker-tmp/', 'eslint.config.js']},
	js.configs.recommended,
	...tseslint.configs.strictTypeChecked,
	{
		languageOptions: {
			parserOptions: {
				projectService: true,
				tsconfigRootDir: import.meta.dirname,
			},
		},
		rules: {
			'@typescript-eslint/no-floating-promises': 'error',
			'@typescript-eslint/no-misused-promises': 'error',
			'@typescript-eslint/restrict-template-expressions': ['error', {allowNumber: true}],
		},
	},
	{
		files: ['test/**/*.ts'],
		rules: {
			'@typescript-eslint/no-non-null-assertion': 'off',
			// Test doubles for fetch are async by contract, whether or not they await.
			'@typescript-eslint/require-await': 'off',
		},
	},
	// Stryker's config and plugin are plain ES modules, outside the TypeScript project.
	{
		files: ['**/*.mjs'],
		...tseslint.configs.disableTypeChecked,
	},
);
