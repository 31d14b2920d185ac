import {createServer, type IncomingMessage, type ServerResponse} from 'node:http';
import type {AddressInfo} from 'node:net';

export type Handler = (request: IncomingMessage, response: ServerResponse, body: string) => void;

/** A real HTTP server on 127.0.0.1 with a free port, answering with the given handler. */
export const startServer = async (handler: Handler): Promise<{url: string; requests: () => number; close: () => Promise<void>}> => {
	let count = 0;
	const server = createServer((request, response) => {
		count++;
		const chunks: Buffer[] = [];
		request.on('data', (chunk: Buffer) => chunks.push(chunk));
		request.on('end', () => {
			handler(request, response, Buffer.concat(chunks).toString('utf8'));
		});
	});
	await new Promise<void>(resolve => {
		server.listen(0, '127.0.0.1', resolve);
	});
	const {port} = server.address() as AddressInfo;
	return {
		url: `http://127.0.0.1:${port}`,
		requests: () => count,
		async close() {
			server.closeAllConnections();
			await new Promise(resolve => {
				server.close(resolve);
			});
		},
	};
};

/** Sends a Knouds error body. */
export const sendError = (response: ServerResponse, status: number, code: string, headers: Record<string, string> = {}): void => {
	response.writeHead(status, {'content-type': 'application/json', ...headers});
	response.end(JSON.stringify({error: `failed with ${code}`, code}));
};
