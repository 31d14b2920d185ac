/**
How a computed backoff delay is randomised.

- `full`: anywhere from 0 to the delay (spreads a crowd of clients furthest).
- `equal`: from half the delay to the delay.
- `none`: exactly the delay.
*/
export type Jitter = 'full' | 'equal' | 'none';

/**
The shape of an exponential backoff: `minDelay * factor ** retryIndex`, capped at `maxDelay`, then jittered.
*/
export type BackoffCurve = {
	readonly minDelay: number;
	readonly maxDelay: number;
	readonly factor: number;
	readonly jitter: Jitter;
};

/**
The delay before retry number `retryIndex + 1` (the first retry has index 0).

Pure: the random source is a parameter, returning values in [0, 1).

@returns A whole number of milliseconds in [0, maxDelay].
*/
export const backoffDelay = (curve: BackoffCurve, retryIndex: number, random: () => number): number => {
	// The growth reaches Infinity for large indexes, which the cap absorbs; 0 * Infinity would be NaN.
	const ceiling = curve.minDelay === 0 ? 0 : Math.min(curve.maxDelay, curve.minDelay * (curve.factor ** Math.max(0, retryIndex)));
	const drawn = random();
	// A broken random source (NaN, out of range) must not turn into a NaN or negative wait.
	const unit = Number.isFinite(drawn) ? Math.min(Math.max(drawn, 0), 1) : 0;
	// Rounded to whole milliseconds, but never up past a fractional maxDelay.
	const whole = (ms: number): number => Math.min(Math.round(ms), Math.floor(curve.maxDelay));
	switch (curve.jitter) {
		case 'full': {
			return whole(ceiling * unit);
		}

		case 'equal': {
			return whole((ceiling / 2) + ((ceiling / 2) * unit));
		}

		case 'none': {
			return whole(ceiling);
		}
	}
};
