/**
Draws the benchmarks as one SVG of two charts, each rendered by Vega-Lite, in Node, without a browser: the
rate-limit cases of knouds-retry against ky's retry (what a rate controller is judged on: requests sent
during a known Retry-After, 429s, makespan over the ideal), then the failure cases against the peers (each
client's requests per call, 429s and share of calls that succeeded), scenario by scenario, side by side.
*/
import * as vega from 'vega';
import {compile, type TopLevelSpec} from 'vega-lite';
import type {Case, Row} from './harness.ts';

type Point = {readonly scenario: string; readonly client: string; readonly metric: string; readonly value: number};
type Results = ReadonlyArray<{readonly test: Case; readonly rows: readonly Row[]}>;
type Metric = readonly [string, (row: Row) => number | undefined];
// vega-lite exports only its top-level spec type: one chart of a vertical concatenation is read off it.
type ChartSpec = Extract<TopLevelSpec, {vconcat: unknown}>['vconcat'][number];

const peerMetrics: readonly Metric[] = [
	['calls that succeeded (%)', row => 100 * row.succeeded / row.calls],
	['requests sent per call', row => row.sent / row.calls],
	['429s received', row => row.tooMany],
	['sent during a known Retry-After', row => row.sentDuringKnownWait],
];

const rateMetrics: readonly Metric[] = [
	['sent during a known Retry-After', row => row.sentDuringKnownWait],
	['429s received', row => row.tooMany],
	['makespan / ideal', row => row.idealMs === undefined ? undefined : row.makespanMs / row.idealMs],
];

// Column titles short enough to read: the case names without what every case of a table shares.
const label = (name: string): string => name.replace(/, 15% terminal keys$/, '').replace(/ \(.*\)$/, '').replace(/^Rate limit: /, '').replace(/, \d+ per .*$/, '').replace(/ EXECUTION_FAILED$/, '');

// One chart: a row per metric, a column per scenario, a bar per client.
const facets = (title: string, results: Results, metrics: readonly Metric[]): ChartSpec => {
	const values: Point[] = results.flatMap(({test, rows}) => rows.flatMap(row => metrics.flatMap(([metric, value]) => {
		const figure = value(row);
		return figure === undefined ? [] : [{scenario: label(test.name), client: row.client, metric, value: Math.round(figure * 100) / 100}];
	})));
	return {
		title: {text: title, fontSize: 14},
		data: {values},
		facet: {
			row: {field: 'metric', type: 'nominal', title: null, sort: metrics.map(([metric]) => metric), header: {labelAngle: 0, labelAlign: 'left', labelFontSize: 12}},
			column: {field: 'scenario', type: 'nominal', title: null, sort: results.map(({test}) => label(test.name)), header: {labelFontSize: 12, labelLimit: 0}},
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
	};
};

/**
The SVG of the results: the fleet's rate-limit cases (those with an ideal; the others have no figure the
controller is judged on), then the peers' cases. A chart with no results is left out.
*/
export const chart = async (fleet: Results, peers: Results): Promise<string> => {
	const rateLimited = fleet.filter(({test}) => test.ideal !== undefined);
	const charts = [
		...rateLimited.length === 0 ? [] : [facets('Rate limits: knouds-retry against ky retry', rateLimited, rateMetrics)],
		...peers.length === 0 ? [] : [facets('Under failure: against the retry layers users pick instead', peers, peerMetrics)],
	];
	const spec: TopLevelSpec = {
		$schema: 'https://vega.github.io/schema/vega-lite/v6.json',
		vconcat: charts,
		spacing: 40,
		// Each chart's clients get the same colours: knouds-retry and ky first in both.
		resolve: {scale: {color: 'shared'}},
		config: {font: 'Helvetica, Arial, sans-serif', view: {stroke: null}},
	};
	const view = new vega.View(vega.parse(compile(spec).spec), {renderer: 'none'});
	return view.toSVG();
};
