import {readFileSync, readdirSync} from 'node:fs';
import {fileURLToPath} from 'node:url';
import ts from 'typescript';
import {describe, expect, it} from 'vitest';
import {codelessActions} from '../src/catalog.js';
import {defaultPolicy, knoudsErrorCatalog, type PolicyKey} from '../src/index.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const documents = ['README.md', ...readdirSync(`${root}docs`).filter(name => name.endsWith('.md')).map(name => `docs/${name}`)];
const read = (name: string): string => readFileSync(`${root}${name}`, 'utf8');

const policyRows = (markdown: string): Map<string, string[]> => new Map([...markdown.matchAll(/^\| `(\w+)` \| (\d+) \| (\d+) \| (\d+) \| (\d+) \| (\w+) \|/gm)]
	.map(([, key = '', ...cells]) => [key, cells]));

type CodeRow = {readonly code: string | undefined; readonly status: number; readonly verdict: string; readonly action: string};

/** The rows of README's "Every code and what it needs" table; `code` is undefined for a codeless row. */
const codeRows = (markdown: string): CodeRow[] => {
	const section = markdown.split(/^## Every code and what it needs$/m)[1]?.split(/^## /m)[0] ?? '';
	return [...section.matchAll(/^\| (?:`(\w+)`|\(none\)) \| (\d{3}) \| ([^|]+?) \| (.+) \|$/gm)]
		.map(([, code, status, verdict = '', action = '']) => ({code, status: Number(status), verdict, action}));
};

describe('the documentation', () => {
	it.each(['README.md', 'docs/policy.md'])('%s publishes the default policy exactly as the code has it', name => {
		const rows = policyRows(read(name));
		const retryable = Object.entries(defaultPolicy).filter(([, policy]) => policy !== false).map(([key]) => key);
		expect([...rows.keys()].sort()).toEqual(retryable.sort());
		for (const [key, cells] of rows) {
			const policy = defaultPolicy[key as PolicyKey];
			expect(policy && [policy.retries, policy.minDelay, policy.maxDelay, policy.factor, policy.jitter].map(String)).toEqual(cells);
		}
	});

	it('keeps the markers npm run bench writes its results between, and the chart it draws', () => {
		const benchmarks = read('docs/benchmarks.md');
		expect(benchmarks.indexOf('<!-- bench:start')).toBeGreaterThan(-1);
		expect(benchmarks.indexOf('<!-- bench:end -->')).toBeGreaterThan(benchmarks.indexOf('<!-- bench:start'));
		expect(read('docs/benchmarks.svg')).toMatch(/^<svg /);
	});

	it('README\'s table of codes states each code\'s status, default class and action exactly as knoudsErrorCatalog has them', () => {
		const rows = codeRows(read('README.md'));
		const documented = rows.filter(row => row.code !== undefined);
		expect(documented.map(row => row.code).sort()).toEqual(Object.keys(knoudsErrorCatalog).sort());
		for (const {code = '', status, verdict, action} of documented) {
			const entry = knoudsErrorCatalog[code as keyof typeof knoudsErrorCatalog];
			expect({code, status, verdict, action}).toEqual({code, status: entry.status, verdict: entry.retryable ? 'retry' : 'terminal', action: entry.action});
		}
	});

	it('README\'s table of codes gives the codeless 401 and 404 the actions codelessActions has, as terminal', () => {
		const codeless = codeRows(read('README.md')).filter(row => row.code === undefined);
		expect(codeless).toEqual(Object.entries(codelessActions).map(([status, action]) => ({code: undefined, status: Number(status), verdict: 'terminal', action})));
	});

	it('has TypeScript examples that compile against the public API', () => {
		const examples = new Map<string, string>();
		for (const name of documents) {
			for (const [index, match] of [...read(name).matchAll(/```ts\n([\s\S]*?)```/g)].entries()) {
				examples.set(`${root}docs/__examples__/${name.replace(/\W/g, '_')}_${index}.ts`, match[1] ?? '');
			}
		}

		expect(examples.size).toBeGreaterThan(8);
		const config = ts.getParsedCommandLineOfConfigFile(`${root}tsconfig.json`, {}, {...ts.sys, onUnRecoverableConfigFileDiagnostic() {}});
		// Examples are written for a typical strict project, without this repository's extra index-signature rule.
		const options = {...config?.options, noEmit: true, noPropertyAccessFromIndexSignature: false, paths: {'knouds-retry': [`${root}src/index.ts`], 'knouds-retry/testing': [`${root}src/testing/index.ts`], 'knouds-retry/redis': [`${root}src/redis/index.ts`]}};
		const base = ts.createCompilerHost(options);
		const host: ts.CompilerHost = {
			...base,
			fileExists: file => examples.has(file) || base.fileExists(file),
			readFile: file => examples.get(file) ?? base.readFile(file),
			getSourceFile(file, language, ...rest) {
				const text = examples.get(file);
				return text === undefined ? base.getSourceFile(file, language, ...rest) : ts.createSourceFile(file, text, language);
			},
		};

		const program = ts.createProgram([...examples.keys()], options, host);
		const problems = ts.getPreEmitDiagnostics(program)
			.filter(diagnostic => diagnostic.file && examples.has(diagnostic.file.fileName))
			.map(diagnostic => `${diagnostic.file?.fileName.replace(root, '') ?? ''}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')}`);
		expect(problems).toEqual([]);
	}, 60_000);
});
