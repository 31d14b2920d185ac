import type {ResolvedCoordination} from './options.js';

/**
A latch to set after a call failed: the store key suffix it lives under and how long it holds.
*/
export type Latch = {readonly name: string; readonly ttlMs: number};

/**
Which latch a final failure sets, if any. Pure.

- The codeless 401 and LEGACY_KEY_RETIRED: the key is dead, for good (until the client sends another key).
- INSUFFICIENT_CREDITS, per key, and grant_exhausted, per key and path (the path names the model),
  for the configured time.
*/
export const latchFor = (status: number, code: string | undefined, path: string, config: ResolvedCoordination['latch']): Latch | undefined => {
	if (status === 401 && (code === undefined || code === 'LEGACY_KEY_RETIRED')) {
		return config.deadKey ? {name: 'key', ttlMs: Number.POSITIVE_INFINITY} : undefined;
	}

	if (code === 'INSUFFICIENT_CREDITS' && config.credits !== undefined) {
		return {name: 'credits', ttlMs: config.credits};
	}

	if (code === 'grant_exhausted' && config.grant !== undefined) {
		return {name: `grant:${path}`, ttlMs: config.grant};
	}

	return undefined;
};

/** The path a grant latch is scoped by: the URL's pathname (it names the model), or the URL as it is if it does not parse. */
export const pathOf = (url: string): string => {
	try {
		return new URL(url).pathname;
	} catch {
		return url;
	}
};

/** The latch names that can hold a call to `path`, in the order they are checked. */
export const latchesOn = (path: string): readonly string[] => ['key', 'credits', `grant:${path}`];

/** What a latch keeps of the failure, so that later calls fail with the same typed error. */
export type LatchedFailure = {readonly status: number; readonly body: unknown};

/** Reads a stored latch, or `undefined` for anything else. */
export const parseLatched = (text: string | undefined): LatchedFailure | undefined => {
	if (text === undefined) {
		return undefined;
	}

	try {
		const value = JSON.parse(text) as Partial<LatchedFailure> | null;
		return typeof value?.status === 'number' && value.status >= 400 && value.status <= 599 ? {status: value.status, body: value.body} : undefined;
	} catch {
		return undefined;
	}
};
