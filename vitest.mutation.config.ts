import {defineConfig} from 'vitest/config';

/**
The tests Stryker runs against each mutant (`npm run test:mutation`): the unit tests, and the Redis
store's own tests, which are all that reach `src/redis/` and answer in milliseconds from a real Redis
(REDIS_URL). The unit tests mock HTTP with nock and fake the clock, so a mutant is judged in
milliseconds. The other integration tests run real servers, child processes and the built dist/; the
type tests (`*.test-d.ts`) check types, which Stryker's TypeScript checker already does for each mutant.
*/
export default defineConfig({
	test: {
		restoreMocks: true,
		include: ['test/**/*.test.ts', 'test/integration/redis/store.test.ts'],
		exclude: ['test/integration/!(redis)/**', 'test/integration/*.test.ts', 'test/integration/redis/!(store).test.ts'],
		setupFiles: ['test/setup.ts'],
	},
});
