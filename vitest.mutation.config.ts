import {defineConfig} from 'vitest/config';

/**
The tests Stryker runs against each mutant (`npm run test:mutation`): the unit tests only. They mock
HTTP with nock and fake the clock, so a mutant is judged in milliseconds. The integration tests run
real servers and the built dist/, which a mutant of src/ never reaches; the type tests (`*.test-d.ts`)
check types, which Stryker's TypeScript checker already does for each mutant.
*/
export default defineConfig({
	test: {
		restoreMocks: true,
		include: ['test/**/*.test.ts'],
		exclude: ['test/integration/**'],
		setupFiles: ['test/setup.ts'],
	},
});
