/**
One operation of a store step. Each reads or writes one key; values are strings (numbers are kept as
their decimal text), and a missing or expired key reads as absent. `ttlMs` may be `Infinity` (no
expiry; a store that must expire everything caps it), and a `ttlMs` of zero or less removes the key.
Times are the store's own clock: a step never takes an instant from its caller, so that processes whose
clocks differ agree on when a wait ends.

- `get`: the value at `key`.
- `set`: sets `key` to `value` for `ttlMs`.
- `setUntil`: sets `key` to `until` (an instant on the store's clock), expiring then, unless it holds a
  later instant already; removes it if `until` has passed and it holds none later. A step that runs
  late still ends the wait on time.
- `init`: sets `key` to `value` for `ttlMs` if it is absent (a present key keeps its expiry); the value
  at `key` after.
- `stamp`: sets `key` to the store's clock if it is absent, renews its expiry either way; the value after.
- `add`: adds `delta` to the number at `key` (`initial` when absent or not a number), clamps it to
  `max`, stores it for `ttlMs`; the sum.
- `take`: takes `amount` from the number at `key` (`initial` when absent or not a number) if it holds
  that much, storing the rest for `ttlMs`; `1` if it did, `0` if not (then it stores nothing).
- `reserve`: the next slot of a pacer of evenly spaced slots: `max(now, next)` where `next` is the number
  at `key`; stores that slot plus `intervalMs` as `next`, for `ttlMs`; how long after now the slot is.
  **Stops the step** when that is more than zero.
- `pace`: admits one request from a token bucket (see `pace` below); `0`, or, having stored nothing, how
  long until the bucket holds a request. **Stops the step** when that is more than zero.
- `absent`: **stops the step** when `key` is present; its value.
- `expect`: **stops the step** when the value at `key` is not `value` (`undefined`: absent); the value.
*/
export type StoreOp =
	| {readonly op: 'get'; readonly key: string}
	| {readonly op: 'set'; readonly key: string; readonly value: string; readonly ttlMs: number}
	| {readonly op: 'setUntil'; readonly key: string; readonly until: number}
	| {readonly op: 'init'; readonly key: string; readonly value: string; readonly ttlMs: number}
	| {readonly op: 'stamp'; readonly key: string; readonly ttlMs: number}
	| {readonly op: 'add'; readonly key: string; readonly delta: number; readonly initial: number; readonly max: number; readonly ttlMs: number}
	| {readonly op: 'take'; readonly key: string; readonly amount: number; readonly initial: number; readonly ttlMs: number}
	| {readonly op: 'reserve'; readonly key: string; readonly intervalMs: number; readonly ttlMs: number}
	| {readonly op: 'pace'; readonly key: string; readonly intervalMs: number; readonly burst: number; readonly max?: number | undefined; readonly ttlMs: number}
	| {readonly op: 'absent'; readonly key: string}
	| {readonly op: 'expect'; readonly key: string; readonly value: string | undefined};

/**
What a step did: the store's clock when it ran (epoch milliseconds), each operation's result in order up
to and including the one that stopped it, and whether one did.
*/
export type StoreAnswer = {
	readonly now: number;
	readonly results: ReadonlyArray<string | number | undefined>;
	readonly stopped: boolean;
};

/**
Where a client keeps the state its calls share: the Retry-After gate, what it learned of the rate
limit, the retry budget, the pacers and latched errors.

A store has one method, `run`, that runs a list of operations as **one atomic step**: no other step
sees a state between two of them. A store shared by processes does that in one round trip (Redis: one
Lua script), so that a call costs few round trips and never loses an update to a read-modify-write race.
A successful call with no 429 lately costs two steps: one before it is sent, one after its answer.

The `pace` operation's bucket refills one request every `intervalMs`, up to `max` requests (`burst` when
not given), and is kept at `key` as its level and the moment it refills from, `"level@moment"`. The level
is counted in requests, not time, so that a caller may change `intervalMs` from one request to the next.
A bucket that is absent (or unreadable) holds `burst`, and refills from one interval after now: the
request after a burst waits two intervals, which leaves the burst time to reach the server. Refilling
never takes a level above `max`, nor below what it was. With a request's worth in it, `pace` takes it
and stores the rest for `ttlMs`.
*/
export type KnoudsStore = {
	/** Runs `ops` as one atomic step. */
	run(ops: readonly StoreOp[]): Promise<StoreAnswer>;
};
