/**
The rate controller against each limiter model of the simulator, on a fake clock: the same limiter code
the simulator runs, answering in process after a fixed latency, so that a run's timeline is exact and a
per-minute window takes no real minute. What is checked is what a user would see: no request during a
Retry-After the client knew of, how many 429s, and how close to what the limiter allows the batch ends.
*/
import {afterEach, beforeEach, describe, expect, it, vi} from 'vitest';
import {createKnoudsFetch} from '../../src/index.js';
import {createLimiter, retryAfterSeconds, type Limiter} from '../../src/testing/limiter.js';

const oneWayMs = 2;

type Run = {readonly sent: number; readonly tooMany: number; readonly sentDuringKnownWait: number; readonly makespanMs: number; readonly sentAt: readonly number[]};

// One answer's worth of latency, on the fake clock.
const pause = async (ms: number): Promise<void> => new Promise(resolve => {
	setTimeout(resolve, ms);
});

/**
A client against `limiter()` (asked at each request's arrival, so that a test may change the limit
mid-run), and a way to send it batches: `calls` runs, `concurrency` at a time, each worker pausing
`demandGapMs` between calls. Each batch reports what the client did in it.
*/
const createHarness = (limiter: () => Limiter) => {
	let stats = {sent: 0, tooMany: 0, sentDuringKnownWait: 0};
	let sentAt: number[] = [];
	let start = 0;
	let knownUntil = 0;
	let knownFrom = 0;
	const knoudsFetch = createKnoudsFetch({
		async fetch(input, init) {
			stats.sent++;
			sentAt.push(Date.now() - start);
			// A request sent at the very instant a 429 arrived was on its way before the client could read it.
			if (Date.now() > knownFrom && Date.now() < knownUntil) {
				stats.sentDuringKnownWait++;
			}

			await new Request(input, init).text();
			await pause(oneWayMs);
			const waitMs = limiter().take(Date.now());
			await pause(oneWayMs);
			if (waitMs > 0) {
				stats.tooMany++;
				// The latest 429's wait, as the client counts it.
				knownFrom = Date.now();
				knownUntil = Date.now() + (Number(retryAfterSeconds(waitMs)) * 1000);
				return Response.json({error: 'Rate limit exceeded', code: 'RATE_LIMIT_EXCEEDED'}, {status: 429, headers: {'retry-after': retryAfterSeconds(waitMs)}});
			}

			return Response.json({status: 'succeeded', output: {}});
		},
	});

	return async ({calls, concurrency, demandGapMs = 0}: {calls: number; concurrency: number; demandGapMs?: number}): Promise<Run> => {
		stats = {sent: 0, tooMany: 0, sentDuringKnownWait: 0};
		sentAt = [];
		start = Date.now();
		let next = 0;
		const worker = async (): Promise<void> => {
			while (next < calls) {
				next++;
				const response = await knoudsFetch('https://api.knouds.example/v1/models/text-small/run', {method: 'POST', headers: {'x-api-key': 'kn_test'}, body: '{"inputs":{}}'});
				expect(response.status).toBe(200);
				if (demandGapMs > 0) {
						await pause(demandGapMs);
				}
			}
		};

		const settled = {done: false};
		const batch = Promise.all(Array.from({length: concurrency}, worker)).finally(() => {
			settled.done = true;
		});
		// The clock moves only from one timer to the next, after the promises each one set off have run.
		while (!settled.done) {
			await vi.advanceTimersToNextTimerAsync();
		}

		await batch;
		return {...stats, makespanMs: Date.now() - start, sentAt};
	};
};

/** One client's one batch against `limiter()`. */
const run = async (limiter: () => Limiter, batch: {calls: number; concurrency: number}): Promise<Run> => createHarness(limiter)(batch);

const fixed = (limit: number, windowMs: number) => createLimiter({algorithm: 'fixed-window', windowMs}, limit);
const sliding = (limit: number, windowMs: number) => createLimiter({algorithm: 'sliding-log', windowMs}, limit);
const bucket = (limit: number, windowMs: number, burst: number) => createLimiter({algorithm: 'token-bucket', windowMs, burst}, limit);

beforeEach(() => {
	// A whole second, so that a fixed window starts with the batch: a whole-second Retry-After cannot tell
	// a client where in a one-second window it is.
	vi.useFakeTimers({now: Date.UTC(2026, 5, 1, 12), toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date']});
});

afterEach(() => {
	vi.useRealTimers();
});

describe('the rate controller on each limiter', () => {
	it('uses a fixed window from its first moment: 200 calls at 40 per second end within 1.2 times the five windows they need, one 429 per window after the first', async () => {
		const limiter = fixed(40, 1000);
		const result = await run(() => limiter, {calls: 200, concurrency: 32});
		expect(result.sentDuringKnownWait).toBe(0);
		expect(result.makespanMs).toBeLessThanOrEqual(1.2 * 4000);
		// The first window's flood (up to the 32 in flight), then the request after each burst.
		expect(result.tooMany).toBeLessThanOrEqual(32 + 5);
	});

	it('fills a sliding log as it empties: 200 calls at 40 per rolling second end within 1.5 times the four seconds the log allows', async () => {
		const limiter = sliding(40, 1000);
		const result = await run(() => limiter, {calls: 200, concurrency: 32});
		expect(result.sentDuringKnownWait).toBe(0);
		expect(result.makespanMs).toBeLessThanOrEqual(1.5 * 4000);
		expect(result.tooMany).toBeLessThanOrEqual(32 + 5);
	});

	it('paces a token bucket near its refill, though Retry-After says only whole seconds: 200 calls at 40 per second with a burst of 10 end within 1.5 times what the bucket allows', async () => {
		const limiter = bucket(40, 1000, 10);
		const result = await run(() => limiter, {calls: 200, concurrency: 32});
		expect(result.sentDuringKnownWait).toBe(0);
		expect(result.makespanMs).toBeLessThanOrEqual(1.5 * (190 / 40) * 1000);
		expect(result.tooMany).toBeLessThanOrEqual(32 + 10);
	});

	it('uses a per-minute window from its first moment, through Retry-Afters of up to a minute', async () => {
		// 20 s into a minute: the first window is part-used, and the 429 that ends it asks for 40 s.
		vi.setSystemTime(Date.UTC(2026, 5, 1, 12, 0, 20));
		const limiter = fixed(40, 60_000);
		const result = await run(() => limiter, {calls: 200, concurrency: 32});
		expect(result.sentDuringKnownWait).toBe(0);
		// Five windows: the rest of this minute and four more, the last entered at 220 s.
		expect(result.makespanMs).toBeLessThanOrEqual(220_000 + 1000);
		expect(result.tooMany).toBeLessThanOrEqual(32 + 5);
	});
});

describe('the rate controller across limits', () => {
	it('keeps to a limit of a few per second: 30 calls at 3 per second end within 1.2 times the ten windows they need', async () => {
		const limiter = fixed(3, 1000);
		const result = await run(() => limiter, {calls: 30, concurrency: 8});
		expect(result.sentDuringKnownWait).toBe(0);
		expect(result.makespanMs).toBeLessThanOrEqual(1.2 * 9000);
		// The first window's flood (up to the 8 in flight), then about one per window.
		expect(result.tooMany).toBeLessThanOrEqual(8 + 10);
	});

	it('keeps to a limit of thousands per minute: 1,000 calls on a bucket of 3,000 per minute with a burst of 100 end within 1.5 times what it allows', async () => {
		const limiter = bucket(3000, 60_000, 100);
		const result = await run(() => limiter, {calls: 1000, concurrency: 64});
		expect(result.sentDuringKnownWait).toBe(0);
		expect(result.makespanMs).toBeLessThanOrEqual(1.5 * (900 / 50) * 1000);
		// The first flood's 64 in flight; then, since a second refills only 50 of the 100 the bucket held at
		// first, the first burst learned is half refused (up to the 64 in flight again); then about one per window.
		expect(result.tooMany).toBeLessThanOrEqual(64 + 64 + 10);
	});
});

describe('the rate controller on a burst of one', () => {
	it('does not stay at one request per window when the server takes one at a time but refills fast: 60 calls on a bucket of 10 per second with a burst of 1', async () => {
		const limiter = bucket(10, 1000, 1);
		const result = await run(() => limiter, {calls: 60, concurrency: 8});
		expect(result.sentDuringKnownWait).toBe(0);
		// The bucket allows 59 calls beyond the first in 5.9 s; one a window would take a minute. The first
		// refill it learns is what got through while it paced, well below the server's, and it grows from there.
		expect(result.makespanMs).toBeLessThanOrEqual(3 * 5900);
	});

	it('keeps to a fixed window of one request per second, meeting about one 429 per window', async () => {
		const limiter = fixed(1, 1000);
		const result = await run(() => limiter, {calls: 10, concurrency: 4});
		expect(result.sentDuringKnownWait).toBe(0);
		expect(result.makespanMs).toBeLessThanOrEqual(1.2 * 9000);
		expect(result.tooMany).toBeLessThanOrEqual(4 + 10);
	});
});

describe('the rate controller when the limit changes', () => {
	it('finds a raised limit: after a token bucket doubles its refill, the client sends faster than the old refill', async () => {
		let limiter = bucket(20, 1000, 10);
		const raiseAt = Date.now() + 6000;
		const raised = bucket(40, 1000, 10);
		const result = await run(() => {
			if (Date.now() >= raiseAt) {
				limiter = raised;
			}

			return limiter;
		}, {calls: 600, concurrency: 32});
		expect(result.sentDuringKnownWait).toBe(0);
		const late = result.sentAt.filter(at => at >= 16_000 && at < 20_000).length;
		// 20 per second would be 80 in those four seconds.
		expect(late).toBeGreaterThan(100);
	});

	it('gives way when another client of the account takes half: its 429s stay few and it does not stall', async () => {
		const limiter = bucket(40, 1000, 10);
		// The other client takes a request every 50 ms (20 per second) from the same bucket.
		const other = setInterval(() => {
			limiter.take(Date.now());
		}, 50);
		try {
			const result = await run(() => limiter, {calls: 200, concurrency: 32});
			expect(result.sentDuringKnownWait).toBe(0);
			// What is left is 20 per second: 190 calls beyond the burst need 9.5 s at best.
			expect(result.makespanMs).toBeLessThanOrEqual(2 * 9500);
			expect(result.tooMany).toBeLessThanOrEqual(32 + 20);
		} finally {
			clearInterval(other);
		}
	});
});

describe('the rate controller when demand drops', () => {
	it('does not keep a low rate it learned once the limit is back and demand returns', async () => {
		// A slow spell: the bucket refills 10 per second, and a busy client learns so.
		const slow = bucket(10, 1000, 10);
		const fast = bucket(40, 1000, 10);
		let limiter = slow;
		const batch = createHarness(() => limiter);
		await batch({calls: 100, concurrency: 32});
		// The limit is back to 40 per second, while demand is a trickle for half a minute.
		limiter = fast;
		await batch({calls: 30, concurrency: 1, demandGapMs: 1000});
		const result = await batch({calls: 200, concurrency: 32});
		expect(result.sentDuringKnownWait).toBe(0);
		// The refill allows 190 calls beyond the burst in 4.75 s; ten seconds is the old rate's 19 s halved.
		expect(result.makespanMs).toBeLessThanOrEqual(10_000);
	});
});
