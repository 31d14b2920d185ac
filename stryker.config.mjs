// @ts-check
/**
Mutation testing of src/ (`npm run test:mutation`, see docs/testing.md § Mutation testing).

Incremental: reports/stryker-incremental.json, committed, records the last run's result per mutant
and per test, so a run after a small change retests only the mutants and tests it touched. Run
`npm run test:mutation -- --force` to test every mutant again.

@type {import('@stryker-mutator/api/core').PartialStrykerOptions}
*/
const config = {
	testRunner: 'vitest',
	vitest: {
		configFile: 'vitest.mutation.config.ts',
		related: true,
	},
	plugins: ['@stryker-mutator/*', './test/mutation/satisfies-type-ignorer.mjs'],
	ignorers: ['satisfies-type'],
	checkers: ['typescript'],
	// src/ alone: the checker compiles what it mutates, not the tests.
	tsconfigFile: 'tsconfig.build.json',
	mutate: [
		'src/**/*.ts',
		// The simulator (and its bin) is a test double shipped for users' tests, not the retry logic.
		'!src/testing/**',
		'!src/bin/**',
		// Re-exports only.
		'!src/index.ts',
	],
	coverageAnalysis: 'perTest',
	incremental: true,
	incrementalFile: 'reports/stryker-incremental.json',
	concurrency: 2,
	timeoutMS: 10_000,
	reporters: ['clear-text', 'progress-append-only', 'html', 'json'],
	htmlReporter: {fileName: 'reports/mutation/index.html'},
	jsonReporter: {fileName: 'reports/mutation/mutation.json'},
	clearTextReporter: {allowColor: false, allowEmojis: false, logTests: false, reportTests: false, reportMutants: true, reportScoreTable: true},
	thresholds: {high: 90, low: 80, break: null},
	tempDirName: '.stryker-tmp',
	cleanTempDir: true,
};

export default config;
