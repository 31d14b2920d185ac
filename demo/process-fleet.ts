/**
A fleet of real OS processes forked from one script, which the parent sets off together: each gets an
order and prepares (builds its client, connects to Redis), then all start at one instant the parent
picks, so that their traffic meets the server's limit at once, as a real fleet's does. The child side
is demo/process-child.ts.
*/
import {fork, type ChildProcess} from 'node:child_process';
import {fileURLToPath} from 'node:url';

/** What the parent tells a process: its order, then when to start. */
export type ToChild<O> = {readonly kind: 'prepare'; readonly order: O} | {readonly kind: 'go'; readonly startAt: number};

/** What a process tells the parent: that it listens, that it is prepared, progress, then its result or why it failed. */
export type FromChild<R, P> =
	| {readonly kind: 'ready'}
	| {readonly kind: 'prepared'}
	| {readonly kind: 'progress'; readonly progress: P}
	| {readonly kind: 'done'; readonly result: R}
	| {readonly kind: 'failed'; readonly message: string};

/** How one run of the fleet starts and is watched. */
export type RunOptions<P> = {
	/** The epoch millisecond to start at, given when the last process was prepared: a little ahead, so that the go reaches every process first. */
	readonly startAt: (preparedAt: number) => number;
	/** Called with each process's progress messages, by the process's index. */
	readonly onProgress?: (process: number, progress: P) => void;
	/** How long a run may take from its start before the fleet is given up on (then close it with `kill`). */
	readonly deadlineMs: number;
};

/** A fleet of processes that can run one order each, any number of times. */
export type ProcessFleet<O, R, P> = {
	readonly size: number;
	/** Gives process `i` the order `orders[i]`, starts them all at once, and resolves with each one's result. */
	readonly run: (orders: readonly O[], options: RunOptions<P>) => Promise<{readonly startedAt: number; readonly results: R[]}>;
	/** Lets the processes exit (they exit when the channel closes); `kill` ends them at once, for one that no longer answers. */
	readonly close: (kill?: boolean) => void;
};

type Kind = FromChild<unknown, unknown>['kind'];

// The next message of `kind` from `child`, passing progress on; a failure or an exit before it rejects.
const next = async <R, P, K extends Kind>(child: ChildProcess, kind: K, onProgress?: (progress: P) => void): Promise<Extract<FromChild<R, P>, {kind: K}>> =>
	new Promise((resolve, reject) => {
		const onMessage = (message: FromChild<R, P>): void => {
			if (message.kind === 'progress') {
				onProgress?.(message.progress);
				return;
			}

			stop();
			if (message.kind === kind) {
				resolve(message as Extract<FromChild<R, P>, {kind: K}>);
			} else {
				reject(new Error(message.kind === 'failed' ? message.message : `A fleet process sent '${message.kind}' where '${kind}' was due.`));
			}
		};

		const onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
			stop();
			reject(new Error(`A fleet process exited (${signal ?? `code ${code}`}) before it sent '${kind}'.`));
		};

		const stop = (): void => {
			child.off('message', onMessage);
			child.off('exit', onExit);
		};

		child.on('message', onMessage);
		child.on('exit', onExit);
	});

const deadline = async (ms: number): Promise<never> => new Promise((_resolve, reject) => {
	setTimeout(() => {
		reject(new Error(`The fleet's run did not end within ${ms / 1000} s.`));
	}, ms).unref();
});

/**
Forks `size` processes of `script` (with this process's Node) and resolves once each listens. Their
stdout and stderr are this process's.
*/
export const forkFleet = async <O, R, P = never>(script: URL, size: number): Promise<ProcessFleet<O, R, P>> => {
	const children = Array.from({length: size}, () => fork(fileURLToPath(script), [], {stdio: ['ignore', 'inherit', 'inherit', 'ipc']}));
	const send = async (child: ChildProcess, message: ToChild<O>): Promise<void> => new Promise((resolve, reject) => {
		child.send(message, error => {
			if (error === null) {
				resolve();
			} else {
				reject(error);
			}
		});
	});

	const close = (kill = false): void => {
		for (const child of children) {
			if (kill) {
				child.kill('SIGKILL');
			} else if (child.connected) {
				child.disconnect();
			}
		}
	};

	try {
		await Promise.all(children.map(async child => next<R, P, 'ready'>(child, 'ready')));
	} catch (error) {
		close(true);
		throw error;
	}

	const run: ProcessFleet<O, R, P>['run'] = async (orders, {startAt, onProgress, deadlineMs}) => {
		await Promise.all(children.map(async (child, index) => {
			const order = orders[index];
			if (order === undefined) {
				throw new Error(`A fleet of ${size} processes needs ${size} orders, not ${orders.length}.`);
			}

			const prepared = next<R, P, 'prepared'>(child, 'prepared');
			await send(child, {kind: 'prepare', order});
			return prepared;
		}));
		const startedAt = startAt(Date.now());
		const results = Promise.all(children.map(async (child, index) => {
			const done = next<R, P, 'done'>(child, 'done', progress => onProgress?.(index, progress));
			await send(child, {kind: 'go', startAt: startedAt});
			return (await done).result;
		}));
		return {startedAt, results: await Promise.race([results, deadline(startedAt - Date.now() + deadlineMs)])};
	};

	return {size, run, close};
};
