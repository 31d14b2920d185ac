/**
The child side of demo/process-fleet.ts: a process that takes orders from its parent, prepares each,
starts it at the instant the parent names and sends back its result. It exits when the parent lets go
of it (closes the channel).
*/
import {setTimeout as delay} from 'node:timers/promises';
import type {FromChild, ToChild} from './process-fleet.ts';

/**
Prepares one order and resolves with how to run it: whatever takes time before the start (a Redis
connection, building the client) belongs in the preparation, so that the processes start together.
*/
export type Prepare<O, R, P> = (order: O, progress: (progress: P) => void) => Promise<() => Promise<R>>;

/** Serves the parent's orders with `prepare`, one at a time. Only in a process forked with an IPC channel. */
export const serveParent = <O, R, P = never>(prepare: Prepare<O, R, P>): void => {
	if (process.send === undefined) {
		throw new Error('This script runs as a fleet process, forked by its parent (demo/process-fleet.ts), not on its own.');
	}

	const tell = (message: FromChild<R, P>): void => {
		process.send?.(message);
	};

	let start: (() => Promise<R>) | undefined;
	const handle = async (message: ToChild<O>): Promise<void> => {
		if (message.kind === 'prepare') {
			start = await prepare(message.order, progress => {
				tell({kind: 'progress', progress});
			});
			tell({kind: 'prepared'});
			return;
		}

		const run = start;
		start = undefined;
		if (run === undefined) {
			throw new Error('Told to start with no order prepared.');
		}

		await delay(Math.max(0, message.startAt - Date.now()));
		tell({kind: 'done', result: await run()});
	};

	process.on('message', (message: ToChild<O>) => {
		handle(message).catch((error: unknown) => {
			tell({kind: 'failed', message: error instanceof Error ? error.stack ?? error.message : String(error)});
		});
	});
	// The parent is done with this process; timers of calls cut off at a time limit must not keep it.
	process.on('disconnect', () => {
		process.exit(0);
	});
	tell({kind: 'ready'});
};
