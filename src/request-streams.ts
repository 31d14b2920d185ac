let known: boolean | undefined;

/**
Whether this runtime's fetch takes a stream as a request body, the usual detection: a Request that
supports them reads `duplex`, and does not turn the stream into text (which would add a Content-Type).
ky sets `duplex: 'half'` in the options it hands hooks exactly then. Worked out once, on first use.
*/
export const supportsRequestStreams = (): boolean => {
	if (known === undefined) {
		let duplexRead = false;
		try {
			const init = {body: new ReadableStream(), method: 'POST', get duplex() {
				duplexRead = true;
				return 'half';
			}};
			known = !new Request('https://streams.invalid', init as RequestInit).headers.has('content-type') && duplexRead;
		} catch {
			known = false;
		}
	}

	return known;
};
