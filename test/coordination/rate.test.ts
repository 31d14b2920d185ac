import fc from 'fast-check';
import {describe, expect, it} from 'vitest';
import type {Learned} from '../../src/coordination/learning.js';
import {paceRate, plateauWindows, startGrowth} from '../../src/coordination/rate.js';

// The pace the learned limit sets beyond its burst, in requests per millisecond, before and after the
// client has seen the server refill.

const window = (admitted: number, windowMs: number): Learned => ({admitted, windowMs, at: 0, refill: undefined});
const refilling = (admitted: number, windowMs: number, refill: number): Learned => ({admitted, windowMs, at: 0, refill});

describe('paceRate before a refill is known', () => {
	it('paces at twice the window\'s own rate while nothing paced has got through, so that the request after the burst goes a window\'s share into it', () => {
		expect(paceRate(window(4, 1000), 0)).toBe(0.008);
		// Two intervals after the burst: a quarter of the window, a window's share for a burst of four.
		expect(2 / paceRate(window(4, 1000), 0)).toBe(250);
	});

	it('doubles its pace once an eighth of a burst has got through at it, and keeps growing with each success', () => {
		expect(startGrowth).toBe(8);
		expect(paceRate(window(8, 1000), 1)).toBe(2 * paceRate(window(8, 1000), 0));
		expect(paceRate(window(8, 1000), 2)).toBe(3 * paceRate(window(8, 1000), 0));
	});
});

describe('paceRate once a refill is known', () => {
	it('paces at the refill learned while nothing paced has got through', () => {
		expect(paceRate(refilling(4, 1000, 0.01), 0)).toBe(0.01);
	});

	it('stays near the refill for a while, then doubles it after plateauWindows windows\' worth of successes', () => {
		expect(plateauWindows).toBe(8);
		// Ten per window at the refill: eighty successes double it, forty add an eighth.
		expect(paceRate(refilling(4, 1000, 0.01), 80)).toBeCloseTo(0.02, 15);
		expect(paceRate(refilling(4, 1000, 0.01), 40)).toBeCloseTo(0.01125, 15);
		expect(paceRate(refilling(4, 1000, 0.01), 8)).toBeLessThan(0.0101);
	});
});

// What learn can leave in the store: a window, or a window with a refill no slower than a burst per window.
const learnedValue = (): fc.Arbitrary<Learned> => fc.record({
	admitted: fc.integer({min: 1, max: 1000}),
	windowMs: fc.integer({min: 1, max: 3_600_000}),
	refillFactor: fc.option(fc.double({min: 1, max: 1000, noNaN: true}), {nil: undefined}),
}).map(({admitted, windowMs, refillFactor}) => ({admitted, windowMs, at: 0, refill: refillFactor === undefined ? undefined : refillFactor * admitted / windowMs}));

const refillingValue = (): fc.Arbitrary<Learned & {readonly refill: number}> => learnedValue().map(learned => ({...learned, refill: learned.refill ?? learned.admitted / learned.windowMs}));

describe('paceRate properties', () => {
	it('never paces slower than the learned window\'s own rate, a burst per window', () => {
		fc.assert(fc.property(learnedValue(), fc.nat({max: 1e9}), (learned, grown) => {
			expect(paceRate(learned, grown)).toBeGreaterThanOrEqual(learned.admitted / learned.windowMs);
		}));
	});

	it('never slows down as more paced requests get through', () => {
		fc.assert(fc.property(learnedValue(), fc.nat({max: 1e9}), fc.nat({max: 1e9}), (learned, grown, more) => {
			expect(paceRate(learned, grown + more)).toBeGreaterThanOrEqual(paceRate(learned, grown));
		}));
	});

	it('paces at exactly the refill learned until a paced request gets through', () => {
		fc.assert(fc.property(refillingValue(), learned => {
			expect(paceRate(learned, 0)).toBe(learned.refill);
		}));
	});

	it('at most doubles the refill before plateauWindows windows\' worth of successes at it', () => {
		fc.assert(fc.property(refillingValue(), fc.double({min: 0, max: 1, noNaN: true}), (learned, share) => {
			const plateau = plateauWindows * (learned.refill * learned.windowMs);
			const grown = Math.floor(share * plateau);
			expect(paceRate(learned, grown)).toBeLessThanOrEqual(2 * learned.refill);
		}));
	});
});

describe('paceRate once a refill is stale', () => {
	it('grows from the refill as fast as before any was known, once ten windows have passed without a 429, and never slower than before', () => {
		const learned = refilling(4, 1000, 0.004);
		const fresh = paceRate(learned, 8, 10_000);
		const stale = paceRate(learned, 8, 10_001);
		expect(fresh).toBeCloseTo(0.004 * (1 + ((8 / 32) ** 3)), 12);
		expect(stale).toBeCloseTo(0.004 * (1 + (startGrowth * 8 / 4)), 12);
		// Far along the cubic, the linear growth is the slower: the pace keeps the faster of the two.
		expect(paceRate(learned, 320, 10_001)).toBeGreaterThanOrEqual(paceRate(learned, 320, 10_000));
	});

	it('is never below the refill, nor below the pace of a fresh refill, whatever the age', () => {
		fc.assert(fc.property(fc.integer({min: 1, max: 100}), fc.integer({min: 1, max: 120_000}), fc.double({min: 1e-5, max: 1, noNaN: true}), fc.nat(10_000), fc.nat(2_000_000), (admitted, windowMs, refill, grown, age) => {
			const learned = refilling(admitted, windowMs, refill);
			expect(paceRate(learned, grown, age)).toBeGreaterThanOrEqual(paceRate(learned, grown, 0));
			expect(paceRate(learned, grown, age)).toBeGreaterThanOrEqual(refill);
		}));
	});
});
