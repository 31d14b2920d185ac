/**
The fake-clock harness: a case's batch through a client against an in-process Knouds API, on a fake clock.
A per-minute limit, whose Retry-After waits run up to a minute, would take minutes per run in real time;
here the clock jumps from one timer to the next, so a run takes a fraction of a second and its timeline is
the same on any machine, however loaded.
*/
import {randomUUID} from 'node:crypto';
import {withGlobal, type FakeMethod} from '@sinonjs/fake-timers';
import type {FetchLike} from 'knouds-retry';
import {resolveScenario, type SimulatorScenario} from 'knouds-retry/testing';
import {runBatch} from '../../demo/batch.ts';
import type {BenchClient} from './clients.ts';
import {limitOf, type Case, type Figures} from './harness.ts';
import {createProbe} from './probe.ts';

type LimiterModule = typeof import('../../src/testing/limiter.ts');

// The simulator's own limiter and Retry-After rounding, from the build the bench runs against (as
// `knouds-retry/testing` is), so that the fake API refuses exactly when the simulator would. Loaded by
// path since the package does not export it; typed from its source so that typechecking needs no build.
const loadLimiter = async (): Promise<LimiterModule> =>
	await import(new URL('../../dist/testing/limiter.js', import.meta.url).href) as LimiterModule;

/**
The fake clock's first instant: 20 s into a minute, so that the first window of a per-minute limit is
part-used and a client that assumes windows start at its first request is wrong about every one of them.
*/
export const fakeStart = Date.UTC(2026, 5, 1, 12, 0, 20);

/** Each way between client and fake API, in fake milliseconds: a request arrives, and its answer returns, this long after it left. */
export const oneWayMs = 2;

// Everything a client may wait with or read the time from. Not nextTick or queueMicrotask, which promises
// need to run, and not Node's internal timers (AbortSignal.timeout), which no fake can reach: the
// harness's own time limit is a fake setTimeout for that reason.
const faked: FakeMethod[] = ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'setImmediate', 'clearImmediate', 'Date', 'performance', 'hrtime'];

// Node runs a timer asked for under 1 ms (or for no number) after 1 ms; fake-timers runs it at the same
// instant outside a tick. A client that sleeps what is left of a wait (0.4 ms, say) and checks the time
// again would then spin at one instant for ever, where real time moves on: so delays are clamped as Node does.
const nodeDelay = (ms: unknown): number => {
	const delay = Number(ms);
	return delay >= 1 && delay <= 2_147_483_647 ? delay : 1;
};

const clampTimers = (): void => {
	const {setTimeout: fakeTimeout, setInterval: fakeInterval} = globalThis;
	globalThis.setTimeout = ((callback: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) => fakeTimeout(callback, nodeDelay(ms), ...args)) as typeof setTimeout;
	globalThis.setInterval = ((callback: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) => fakeInterval(callback, nodeDelay(ms), ...args)) as typeof setInterval;
};

// Timers fired at one fake instant before the harness calls the client stuck: far more than 32 calls'
// answers, waits and time-outs due at once, so only a client that waits on zero-delay timers for time
// to pass (which on a fake clock never happens) gets there.
const stuckAfter = 100_000;

// A wait on the (fake) clock that an abort ends at once, as a network round trip does.
const pause = async (ms: number, signal: AbortSignal): Promise<void> => new Promise((resolve, reject) => {
	signal.throwIfAborted();
	const onAbort = (): void => {
		clearTimeout(timer);
		reject(signal.reason as Error);
	};

	const timer = setTimeout(() => {
		signal.removeEventListener('abort', onAbort);
		resolve();
	}, ms);
	signal.addEventListener('abort', onAbort, {once: true});
});

const json = (status: number, body: Readonly<Record<string, unknown>>, headers: Readonly<Record<string, string>> = {}): Response =>
	new Response(JSON.stringify(body), {status, headers: {'content-type': 'application/json', ...headers}});

const inputsOf = (body: string): unknown => {
	try {
		return (JSON.parse(body) as {inputs?: unknown}).inputs;
	} catch {
		return undefined;
	}
};

/**
A fetch that answers in process, like the simulator, for the one route the bench calls (a sync model run):
a 401 for an unknown key, then the account's limiter, which refuses with the simulator's 429 and a
whole-second Retry-After, then a 200 with a run's answer. The limiter decides when a request arrives,
`oneWayMs` after it left, and the answer takes as long to come back.
*/
export const createFakeApi = (scenario: SimulatorScenario, {createLimiter, retryAfterSeconds}: LimiterModule): FetchLike => {
	// One limiter per account, shared by its keys, with its tier's limit: as the simulator keeps them.
	const byKey = new Map<string, {limiter: ReturnType<typeof createLimiter>; credits: number}>();
	for (const account of scenario.accounts) {
		const tier = scenario.tiers[account.tier];
		if (tier === undefined) {
			throw new Error(`The scenario's account ${account.id} has no tier ${account.tier}`);
		}

		const state = {limiter: createLimiter(scenario.rateLimit, tier.requestsPerWindow), credits: account.credits};
		for (const {key} of account.keys) {
			byKey.set(key, state);
		}
	}

	return async (input, init) => {
		const request = new Request(input, init);
		const body = await request.text();
		await pause(oneWayMs, request.signal);
		const reply = ((): Response => {
			const account = byKey.get(request.headers.get('x-api-key') ?? '');
			if (account === undefined) {
				return json(401, {error: 'Missing or invalid API key'});
			}

			const waitMs = account.limiter.take(Date.now());
			if (waitMs > 0) {
				return json(429, {error: 'Rate limit exceeded', code: 'RATE_LIMIT_EXCEEDED'}, {'retry-after': retryAfterSeconds(waitMs)});
			}

			const model = /^\/v1\/models\/([^/]+)\/run$/.exec(new URL(request.url).pathname)?.[1];
			if (request.method !== 'POST' || model === undefined) {
				return json(404, {error: `No route ${request.method} ${new URL(request.url).pathname} in the fake API`});
			}

			account.credits -= 1;
			return json(200, {executionId: randomUUID(), status: 'succeeded', output: {model, echo: inputsOf(body)}, creditsCharged: 1, creditsRemaining: account.credits});
		})();
		await pause(oneWayMs, request.signal);
		return reply;
	};
};

// How many fake timers a run cut off by its limit may still fire while its calls wind down (every client
// gets the abort, so they need a handful); past that, what is left is dropped with the fake clock.
const windDownTimers = 10_000;

/**
Runs a case's batch once through a client on a fake clock, against the fake API with the case's scenario
(its accounts, tiers and rate limit; faults are not modelled). The clock starts at `fakeStart` and moves
only from one timer to the next, after each settling every promise the last one set off, until the batch
settles or the case's time limit (fake time) passes. Makespan, the limit and the probe's "known
Retry-After" are all in fake time.
*/
export const measureOnFakeClock = async (test: Case, client: BenchClient): Promise<Figures> => {
	const scenario = resolveScenario(test.scenario);
	const limiter = await loadLimiter();
	// A socket of an earlier case may close while the fake clock is installed: undici then clears its native
	// timer through the faked clearTimeout, which must pass it on rather than warn.
	const clock = withGlobal(globalThis).install({now: fakeStart, toFake: faked, shouldClearNativeTimers: true});
	try {
		// Uninstalling puts the native timers back, over these wrappers too.
		clampTimers();
		const probe = createProbe(createFakeApi(scenario, limiter));
		const controller = new AbortController();
		const limit = setTimeout(() => {
			controller.abort(new Error(`The case's time limit (${limitOf(test)} ms of fake time) passed`));
		}, limitOf(test));
		const {signal} = controller;
		const send = client.create('http://knouds.fake', probe, signal);
		let finished = 0;
		let succeeded = 0;
		// Set from callbacks: an object, so that the loops below read its fields afresh.
		const run: {settled: boolean; endedAt?: number} = {settled: false};
		const startedAt = Date.now();
		void runBatch(test.batch, test.concurrency, async call => signal.aborted ? false : send(call), ok => {
			if (!signal.aborted) {
				finished++;
				succeeded += ok ? 1 : 0;
			}
		}).finally(() => {
			run.settled = true;
			run.endedAt ??= Date.now();
		});
		signal.addEventListener('abort', () => {
			run.endedAt ??= Date.now();
		}, {once: true});
		// Each step fires the next timer and lets everything it set off run before the clock moves on.
		// The limit timer is pending until the batch ends or it fires, so a step always has a timer to go to.
		for (let instant = clock.now, firedThere = 0; !run.settled && !signal.aborted; firedThere = clock.now === instant ? firedThere + 1 : 0, instant = clock.now) {
			if (firedThere > stuckAfter) {
				throw new Error(`${client.name} fired ${stuckAfter} timers at ${new Date(instant).toISOString()} (fake) without the clock moving: it waits on zero-delay timers for time to pass, which a fake clock never lets happen`);
			}

			await clock.nextAsync();
		}

		clearTimeout(limit);
		for (let step = 0; !run.settled && step < windDownTimers && clock.countTimers() > 0; step++) {
			await clock.nextAsync();
		}

		return {
			calls: test.batch.length,
			succeeded,
			makespanMs: (run.endedAt ?? Date.now()) - startedAt,
			idealMs: test.ideal?.(startedAt),
			// The fake API answers no terminal codes.
			terminalRetried: 0,
			unfinished: test.batch.length - finished,
			...probe.stats(),
		};
	} finally {
		clock.uninstall();
	}
};
