import {defineConfig} from 'vitest/config';

export default defineConfig({
	test: {
		restoreMocks: true,
		projects: [
			{
				extends: true,
				test: {
					name: 'unit',
					include: ['test/**/*.test.ts'],
					exclude: ['test/integration/**'],
					// nock intercepts every fetch in the process, so it is loaded only where HTTP is mocked.
					setupFiles: ['test/setup.ts'],
					typecheck: {
						enabled: true,
						include: ['test/**/*.test-d.ts'],
						tsconfig: './tsconfig.json',
					},
				},
			},
			{
				extends: true,
				test: {
					name: 'integration',
					include: ['test/integration/**/*.test.ts'],
				},
			},
		],
	},
});
