/**
Draws the failure benchmarks as one SVG: for each scenario, each client's requests per call, 429s and
share of calls that succeeded, side by side. Rendered by Vega-Lite, in Node, without a browser.
*/
import * as vega from 'vega';
import {compile, type TopLevelSpec} from 'vega-lite';
import type {Case, Row} from './harness.ts';

type Point = {readonly scenario: string; readonly client: string; readonly metric: string; readonly value: number};

const metrics: ReadonlyArray<[string, (row: Row) => number]> = [
	['calls that succeeded (%)', row => 100 * row.succeeded / row.calls],
	['requests sent per call', row => row.sent / row.calls],
	['429s received', row => row.tooMany],
	['sent during a known Retry-After', row => row.sentDuringKnownWait],
];

// Column titles short enough to read: the case names without what every case of a table shares.
const label = (name: string): string => name.replace(/, 15% terminal keys$/, '').replace(/ \(.*\)$/, '').replace(/^Rate limit: /, '').replace(/, \d+ per .*$/, '').replace(/ EXECUTION_FAILED$/, '');

/** The SVG of a set of cases' results. */
export const chart = async (results: ReadonlyArray<{readonly test: Case; readonly rows: readonly Row[]}>): Promise<string> => {
	const values: Point[] = results.flatMap(({test, rows}) => rows.flatMap(row => metrics.map(([metric, value]) => ({
		scenario: label(test.name),
		client: row.client,
		metric,
		value: Math.round(value(row) * 100) / 100,
	}))));
	const spec: TopLevelSpec = {
		$schema: 'https://vega.github.io/schema/vega-lite/v6.json',
		data: {values},
		facet: {
			row: {field: 'metric', type: 'nominal', title: null, sort: metrics.map(([metric]) => metric), header: {labelAngle: 0, labelAlign: 'left', labelFontSize: 12}},
			column: {field: 'scenario', type: 'nominal', title: null, sort: results.map(({test}) => label(test.name)), header: {labelFontSize: 12, labelLimit: 200}},
		},
		spec: {
			width: 160,
			height: 110,
			mark: {type: 'bar', tooltip: true},
			encoding: {
				x: {field: 'client', type: 'nominal', axis: null, sort: null},
				y: {field: 'value', type: 'quantitative', title: null, axis: {format: '~r', tickCount: 4}, scale: {zero: true}},
				color: {field: 'client', type: 'nominal', sort: null, legend: {orient: 'top', title: null}, scale: {scheme: 'tableau10'}},
			},
		},
		resolve: {scale: {y: 'independent'}},
		config: {font: 'Helvetica, Arial, sans-serif', view: {stroke: null}},
	};
	const view = new vega.View(vega.parse(compile(spec).spec), {renderer: 'none'});
	return view.toSVG();
};
