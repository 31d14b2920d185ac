/** Error bodies are read up to this many bytes; the rest is left unread. */
export const errorBodyLimit = 1024 * 1024;

/** An error body that has not finished arriving after this long is classified from what came. */
export const errorBodyTimeout = 10_000;

/**
Reads a response body as UTF-8 text, bounded in size and time so that a huge or never-ending
body cannot stall the retry loop. Never throws: a body that fails mid-way yields what arrived.
*/
export const readBodyText = async (response: Response, limit = errorBodyLimit, timeoutMs = errorBodyTimeout, signal?: AbortSignal): Promise<{text: string; truncated: boolean}> => {
	const {body} = response;
	if (body === null) {
		return {text: '', truncated: false};
	}

	let reader: ReadableStreamDefaultReader<Uint8Array>;
	try {
		reader = body.getReader();
	} catch {
		return {text: '', truncated: false};
	}

	const decoder = new TextDecoder();
	let text = '';
	let bytes = 0;
	let truncated = false;
	let timer: ReturnType<typeof setTimeout> | undefined;
	let onAbort: (() => void) | undefined;
	// An abort of the call stops the read too; the retry loop then rejects with the abort reason.
	const timedOut = new Promise<'timeout'>(resolve => {
		timer = setTimeout(() => {
			resolve('timeout');
		}, timeoutMs);
		onAbort = () => {
			resolve('timeout');
		};

		signal?.addEventListener('abort', onAbort, {once: true});
	});

	try {
		for (;;) {
			const next = await Promise.race([reader.read(), timedOut]);
			if (next === 'timeout') {
				truncated = true;
				break;
			}

			if (next.done) {
				break;
			}

			const room = limit - bytes;
			const chunk = next.value.byteLength > room ? next.value.subarray(0, room) : next.value;
			bytes += chunk.byteLength;
			text += decoder.decode(chunk, {stream: true});
			if (bytes >= limit) {
				truncated = true;
				break;
			}
		}
	} catch {
		// The body failed mid-way (connection reset): classify from what arrived.
		truncated = true;
	} finally {
		clearTimeout(timer);
		if (onAbort) {
			signal?.removeEventListener('abort', onAbort);
		}

		reader.cancel().catch(() => undefined);
	}

	return {text: text + decoder.decode(), truncated};
};
