import {describe, expect, it, vi} from 'vitest';
import type {Limit} from '../../src/coordination/learning.js';
import type {Sent} from '../../src/coordination/window.js';
import {outcomes, sentOnly, windowKey as key, windowSteps} from '../support/window-steps.js';

// A record that learned a window of `admitted` per `windowMs` (and a refill, if given), whose cycle starts now.
const learnedLimit = async (store: ReturnType<typeof windowSteps>['store'], now: number, admitted: number, windowMs: number, refill?: number): Promise<Limit> => {
	const limit: Limit = {until: 0, cycle: now, learned: {admitted, windowMs, at: now, refill}};
	await store.set(key('limit'), JSON.stringify(limit), 3_600_000);
	return limit;
};

describe('createWindow', () => {
	it('lets the learned burst through at once, then holds the next request two intervals', async () => {
		const {store, now, takeAll} = windowSteps();
		// Two per second learned: paced at four per second beyond the burst, so the third waits half a second.
		await learnedLimit(store, now(), 2, 1000);
		expect(outcomes(await takeAll(4))).toEqual(['sent', 'sent', 'held 500', 'held 500']);
	});

	it('lets a held request go when its wait is over, in the cycle it was held in, and the one after it an interval later', async () => {
		const {store, now, advance, take, takeAll} = windowSteps();
		const limit = await learnedLimit(store, now(), 2, 1000);
		const [, , held] = await takeAll(3);
		expect(held).toEqual({kind: 'held', waitMs: 500, cycle: limit.cycle});
		advance(499);
		expect(outcomes([await take(limit.cycle)])).toEqual(['held 1']);
		advance(1);
		expect(await take(limit.cycle)).toEqual({kind: 'send', sentAt: now(), cycle: limit.cycle, windowMs: 1000, paced: true});
		expect(outcomes([await take(limit.cycle)])).toEqual(['held 250']);
	});

	it('counts a request held by the pacer and then answered as evidence for a faster pace, and one held in an earlier cycle not', async () => {
		const {store, now, advance, take, takeAll, count} = windowSteps();
		const limit = await learnedLimit(store, now(), 8, 1000);
		await takeAll(8);
		// Paced at sixteen per second beyond the burst: the ninth waits two intervals.
		expect(outcomes(await takeAll(1))).toEqual(['held 125']);
		advance(125);
		// Held in an earlier cycle: its success says nothing of this cycle's pace.
		const unpaced = sentOnly(await take(limit.cycle - 1000));
		expect(unpaced.paced).toBe(false);
		await count(unpaced);
		expect(await store.get(key('grown', limit.cycle))).toBeUndefined();
		expect(outcomes(await takeAll(1))).toEqual(['held 62.5']);
		advance(63);
		// Held in this one: once it got through, the pace doubles, and the next waits a whole interval of it: between a
		// window's bursts the pace holds at most one request, so the 0.008 of a request beyond it was not kept.
		const paced = sentOnly(await take(limit.cycle));
		expect(paced.paced).toBe(true);
		await count(paced);
		expect(await store.get(key('grown', limit.cycle))).toBe('1');
		expect(await store.get(key('admitted', limit.cycle))).toBe('2');
		const [next] = await takeAll(1);
		expect(next?.kind).toBe('held');
		expect(next?.kind === 'held' && next.waitMs).toBeCloseTo(31.25, 9);
	});

	it('never rewrites the record when a paced request gets through, so that it cannot undo a gate another call closed meanwhile', async () => {
		const {store, ops, now, advance, take, takeAll, count} = windowSteps();
		const limit = await learnedLimit(store, now(), 2, 1000);
		await takeAll(2);
		advance(500);
		const paced = sentOnly(await take(limit.cycle));
		expect(paced.paced).toBe(true);
		ops.length = 0;
		await count(paced);
		expect(ops.map(op => op.key)).not.toContain(key('limit'));
		expect(ops.map(op => op.key)).not.toContain(key('gate'));
		expect(ops.map(op => op.key)).toContain(key('admitted', limit.cycle));
		expect(ops.map(op => op.key)).toContain(key('grown', limit.cycle));
	});

	it('keeps a gate closed for all of a Retry-After longer than the hour the record is otherwise kept', async () => {
		const {now, advance, take, closeGate} = windowSteps();
		const sent = sentOnly(await take());
		await closeGate(sent, 2 * 3_600_000);
		advance(1.5 * 3_600_000);
		expect(await take()).toEqual({kind: 'gate', waitMs: 0.5 * 3_600_000});
		advance(0.5 * 3_600_000);
		expect(await take()).toMatchObject({kind: 'send', sentAt: now()});
	});

	it('keeps the store flat over hundreds of sub-second rate-limit cycles: a cycle\'s counters outlive it by about a minute, not an hour', async () => {
		const {expiries, take, count, closeGate} = windowSteps();
		const live = (): number => [...expiries.values()].filter(expiry => expiry > Date.now()).length;
		const liveAt: number[] = [];
		for (let cycle = 0; cycle < 600; cycle++) {
			// Three requests get through, the fourth meets a 429 that asks for 400 ms.
			const sent: Sent[] = [];
			for (let index = 0; index < 4; index++) {
				const slot = await take();
				if (slot.kind === 'send') {
					sent.push(slot);
				}
			}

			for (const admission of sent.slice(0, -1)) {
				await count(admission);
			}

			if (sent.length > 0) {
				await closeGate(sent.at(-1)!, 400);
			}

			vi.advanceTimersByTime(500);
			if (cycle === 200 || cycle === 599) {
				liveAt.push(live());
			}
		}

		// Five minutes in and ten minutes in hold the same number of keys: the last minute's cycles.
		expect(liveAt[1]).toBeLessThanOrEqual(liveAt[0]! + 5);
		expect(liveAt[1]).toBeLessThan(600);
	});

	it('holds the request after a per-minute burst a window\'s share into the minute, and starts the next minute with a fresh burst', async () => {
		const {store, now, advance, takeAll} = windowSteps();
		const limit = await learnedLimit(store, now(), 3, 60_000);
		expect(outcomes(await takeAll(4))).toEqual(['sent', 'sent', 'sent', 'held 20000']);
		advance(19_999);
		expect(outcomes(await takeAll(1, limit.cycle))).toEqual(['held 1']);
		advance(40_001);
		// The next minute: its own burst, whatever the last one left.
		const next = await takeAll(4);
		expect(outcomes(next)).toEqual(['sent', 'sent', 'sent', 'held 20000']);
		expect(next.map(slot => slot.kind === 'gate' ? undefined : slot.cycle)).toEqual([limit.cycle + 60_000, limit.cycle + 60_000, limit.cycle + 60_000, limit.cycle + 60_000]);
	});

	it('keeps one cycle, and one bucket, from 429 to 429 once a refill is known: the burst comes back with time, not with each window', async () => {
		const {store, now, advance, takeAll} = windowSteps();
		// Two at once, then one every 100 ms.
		const limit = await learnedLimit(store, now(), 2, 1000, 0.01);
		expect(outcomes(await takeAll(3))).toEqual(['sent', 'sent', 'held 200']);
		advance(5000);
		const later = await takeAll(3);
		expect(outcomes(later)).toEqual(['sent', 'sent', 'held 100']);
		expect(later.map(slot => slot.kind === 'gate' ? undefined : slot.cycle)).toEqual([limit.cycle, limit.cycle, limit.cycle]);
	});

	it('lets one request at a time into a learned window that sat idle after its burst, not a second burst the window would refuse', async () => {
		const {store, now, advance, takeAll} = windowSteps();
		await learnedLimit(store, now(), 3, 60_000);
		expect(outcomes(await takeAll(3))).toEqual(['sent', 'sent', 'sent']);
		// Fifty quiet seconds of the minute: time enough to refill three at the pace, but the window is used up.
		advance(50_000);
		expect(outcomes(await takeAll(3))).toEqual(['sent', 'held 10000', 'held 10000']);
	});

	it('lets a refilling limit\'s burst come back after an idle spell, as the server\'s bucket does', async () => {
		const {store, now, advance, takeAll} = windowSteps();
		await learnedLimit(store, now(), 3, 1000, 0.01);
		expect(outcomes(await takeAll(3))).toEqual(['sent', 'sent', 'sent']);
		advance(5000);
		expect(outcomes(await takeAll(4))).toEqual(['sent', 'sent', 'sent', 'held 100']);
	});

	it('measures a refill from the cycle\'s first answer, not from a later one, so that the pace it learns is the one the server took', async () => {
		const {store, now, advance, takeAll, count, closeGate} = windowSteps();
		const limit = await learnedLimit(store, now(), 2, 1000);
		const [first, second] = (await takeAll(2)).map(sentOnly);
		// The burst's answers come back 10 ms in; then eight more get through by 410 ms.
		advance(10);
		await count(first!);
		await count(second!);
		for (let index = 0; index < 8; index++) {
			advance(50);
			await count({kind: 'send', sentAt: now(), cycle: limit.cycle, windowMs: 1000, paced: true});
		}

		await closeGate({kind: 'send', sentAt: now(), cycle: limit.cycle, windowMs: 1000, paced: true}, 1000);
		const learned = JSON.parse(await store.get(key('limit')) ?? '{}') as Limit;
		// Eight beyond the burst over the 400 ms from the first answer: 20 per second.
		expect(learned.learned?.refill).toBeCloseTo(8 / 400, 12);
	});
});
