import fc from 'fast-check';
import {describe, expect, it} from 'vitest';
import {backoffDelay, type BackoffCurve, type Jitter} from '../src/backoff.js';

const curve = (overrides: Partial<BackoffCurve> = {}): BackoffCurve =>
	({minDelay: 100, maxDelay: 1000, factor: 2, jitter: 'none', ...overrides});

const fixed = (value: number) => (): number => value;

describe('backoffDelay without jitter', () => {
	it('starts at minDelay and multiplies by factor on each retry', () => {
		const delays = [0, 1, 2, 3].map(index => backoffDelay(curve(), index, fixed(0.5)));
		expect(delays).toEqual([100, 200, 400, 800]);
	});

	it('caps the delay at maxDelay', () => {
		expect(backoffDelay(curve(), 4, fixed(0.5))).toBe(1000);
		expect(backoffDelay(curve(), 50, fixed(0.5))).toBe(1000);
	});

	it('keeps the delay constant with a factor of 1', () => {
		expect(backoffDelay(curve({factor: 1}), 7, fixed(0.5))).toBe(100);
	});

	it('absorbs a growth that overflows to Infinity into maxDelay', () => {
		expect(backoffDelay(curve(), 10_000, fixed(0.5))).toBe(1000);
		expect(backoffDelay(curve({factor: 1e308}), 2, fixed(0.5))).toBe(1000);
	});

	it('treats a negative retry index as the first retry', () => {
		expect(backoffDelay(curve(), -3, fixed(0.5))).toBe(100);
	});

	it('ignores the random source', () => {
		expect(backoffDelay(curve(), 1, fixed(0.99))).toBe(200);
	});
});

describe('backoffDelay with full jitter', () => {
	const full = curve({jitter: 'full'});

	it('scales the delay by the random value from 0 up to the whole delay', () => {
		expect(backoffDelay(full, 2, fixed(0))).toBe(0);
		expect(backoffDelay(full, 2, fixed(0.5))).toBe(200);
		expect(backoffDelay(full, 2, fixed(0.999_999))).toBe(400);
	});

	it('clamps a random source that strays outside [0, 1]', () => {
		expect(backoffDelay(full, 2, fixed(-0.5))).toBe(0);
		expect(backoffDelay(full, 2, fixed(7))).toBe(400);
	});
});

describe('backoffDelay with equal jitter', () => {
	const equal = curve({jitter: 'equal'});

	it('waits from half the delay up to the whole delay', () => {
		expect(backoffDelay(equal, 2, fixed(0))).toBe(200);
		expect(backoffDelay(equal, 2, fixed(0.5))).toBe(300);
		expect(backoffDelay(equal, 2, fixed(0.999_999))).toBe(400);
	});
});

describe('backoffDelay edge cases', () => {
	it('returns 0 rather than NaN when a zero minDelay meets a growth that overflows', () => {
		// 0 * 2 ** 1024 is 0 * Infinity, which is NaN.
		expect(backoffDelay(curve({minDelay: 0, factor: 2, jitter: 'full'}), 1024, fixed(0.5))).toBe(0);
		expect(backoffDelay(curve({minDelay: 0, factor: 1e308, jitter: 'none'}), 2, fixed(0.5))).toBe(0);
	});

	it('never rounds up past a fractional maxDelay', () => {
		// The policy accepts any finite delay, so maxDelay may be fractional; Math.round(10.6) is 11.
		const fractional = curve({minDelay: 10.6, maxDelay: 10.6, factor: 1});
		expect(backoffDelay(fractional, 0, fixed(0.5))).toBeLessThanOrEqual(10.6);
	});
});

describe('backoffDelay properties', () => {
	const jitters: readonly Jitter[] = ['full', 'equal', 'none'];
	const random = fc.double({min: 0, max: 1, maxExcluded: true, noNaN: true});
	// Whole and fractional delays: the policy accepts any finite, non-negative number.
	const delay = fc.oneof(fc.nat({max: 1e7}), fc.double({min: 0, max: 1e7, noNaN: true}));
	const anyCurve = fc.record({
		minDelay: delay,
		extra: delay,
		factor: fc.double({min: 1, max: 1e3, noNaN: true}),
		jitter: fc.constantFrom(...jitters),
	}).map(({minDelay, extra, factor, jitter}): BackoffCurve => ({minDelay, maxDelay: minDelay + extra, factor, jitter}));

	it('always returns a whole number in [0, maxDelay] for every jitter and any random in [0, 1)', () => {
		// A zero minDelay whose growth overflows is rare at random, so it is always tried first.
		const overflow: [BackoffCurve, number, number] = [{minDelay: 0, maxDelay: 0, factor: 1.27, jitter: 'full'}, 3004, 0];
		fc.assert(fc.property(anyCurve, fc.nat({max: 5000}), random, (shape, index, value) => {
			const delay = backoffDelay(shape, index, () => value);
			expect(Number.isInteger(delay)).toBe(true);
			expect(delay).toBeGreaterThanOrEqual(0);
			expect(delay).toBeLessThanOrEqual(shape.maxDelay);
		}), {examples: [overflow]});
	});

	it('never waits less with equal jitter than half of the un-jittered delay', () => {
		fc.assert(fc.property(anyCurve, fc.nat({max: 60}), random, (shape, index, value) => {
			const whole = backoffDelay({...shape, jitter: 'none'}, index, () => value);
			const equal = backoffDelay({...shape, jitter: 'equal'}, index, () => value);
			expect(equal).toBeGreaterThanOrEqual(Math.floor(whole / 2));
			expect(equal).toBeLessThanOrEqual(whole);
		}));
	});

	it('never shrinks from one retry to the next without jitter', () => {
		fc.assert(fc.property(anyCurve, fc.nat({max: 60}), (shape, index) => {
			const steady = {...shape, jitter: 'none' as const};
			expect(backoffDelay(steady, index + 1, fixed(0))).toBeGreaterThanOrEqual(backoffDelay(steady, index, fixed(0)));
		}));
	});
});
