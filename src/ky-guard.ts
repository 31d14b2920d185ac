import type {KyInstance, Options} from 'ky';
import {redactError} from './redact-error.js';
import {secretsOfCall} from './secret-values.js';

type Call = (input: Parameters<KyInstance>[0], options?: Options) => ReturnType<KyInstance>;

const shortcuts = ['get', 'post', 'put', 'patch', 'head', 'delete'] as const;

// ky merges headers and builds its Request the moment it is called, before any hook of ours runs: a
// key it refuses (one with a newline) throws there, quoted in full.
const guarded = <A extends readonly unknown[], R>(run: (...args: A) => R, secretsOf: (...args: A) => string[]) => (...args: A): R => {
	try {
		return run(...args);
	} catch (error) {
		throw redactError(error, secretsOf(...args));
	}
};

/**
A ky instance whose calls, method shortcuts, `extend` and `create` throw with the credentials of their
arguments redacted (see `redactError`). What they return is ky's own, untouched: a `ResponsePromise`
keeps its body methods, and errors it rejects with go through the `beforeError` hook.
*/
export const guardCalls = (instance: KyInstance): KyInstance => {
	const ofCall = (input: unknown, options?: unknown): string[] => secretsOfCall(input, options);
	const ofDefaults = (defaults?: unknown): string[] => secretsOfCall(undefined, defaults);
	const methods = Object.fromEntries(shortcuts.map(name => [name, guarded<Parameters<Call>, ReturnType<Call>>(instance[name], ofCall)]));
	return Object.assign(guarded<Parameters<Call>, ReturnType<Call>>(instance, ofCall), instance, methods, {
		extend: guarded(instance.extend, ofDefaults),
		create: guarded(instance.create, ofDefaults),
	});
};
