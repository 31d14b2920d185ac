/**
`npm run demo`: the same batch of model runs against the Knouds API simulator on its `chaos` scenario,
through knoudsRetry(ky), through ky with its default retry and through ky with its retry set as a careful
user sets it, reported side by side with what the differences mean (demo/chaos.ts).

`npm run demo -- --fleet`: several processes sharing one account on a rate-limited simulator, as plain
ky, as knouds-retry with each process's own in-memory store and as knouds-retry with one Redis store
(demo/fleet.ts).
*/
if (process.argv.includes('--fleet')) {
	await import('./fleet.ts');
} else {
	await import('./chaos.ts');
}
