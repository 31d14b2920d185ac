import type {IncomingMessage, ServerResponse} from 'node:http';
import {requestRandom} from './random.js';
import type {Reply} from './reply.js';
import type {createRouter} from './router.js';
import {handle} from './routes.js';
import type {State} from './state.js';
import {outcomeOf, type createCounter} from './stats.js';
import type {SimulatorScenario} from './types.js';

/** Bodies over this are refused, and their connection closed, since the rest of the body is never read. */
export const maxBody = 1024 * 1024;

const proxyPage = (status: 502 | 503): string => {
	const title = status === 502 ? '502 Bad Gateway' : '503 Service Temporarily Unavailable';
	return `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>${title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`;
};

const readBody = async (request: IncomingMessage): Promise<string | undefined> => {
	const chunks: Buffer[] = [];
	let size = 0;
	for await (const chunk of request as AsyncIterable<Buffer>) {
		size += chunk.length;
		if (size > maxBody) {
			return undefined;
		}

		chunks.push(chunk);
	}

	return Buffer.concat(chunks).toString('utf8');
};

const pathnameOf = (raw: string | undefined): {url: URL; pathname: string} => {
	try {
		const url = new URL(raw ?? '/', 'http://simulator.invalid');
		return {url, pathname: url.pathname};
	} catch {
		// A request line no URL parser accepts ('//', say) still gets an answer: the unknown route's.
		return {url: new URL('http://simulator.invalid/'), pathname: raw ?? ''};
	}
};

/** What serving needs: the scenario, its live state, the router, the counter, the clock and held answers. */
export type Server = {
	readonly scenario: SimulatorScenario;
	readonly state: State;
	readonly matchRoute: ReturnType<typeof createRouter>;
	readonly counter: ReturnType<typeof createCounter>;
	readonly now: () => number;
	readonly startedAt: () => number;
	/** Answers held back (slow answers, sync run times), with whether each was charged, so close() can count them. */
	readonly held: Map<NodeJS.Timeout, Reply>;
	/** Numbers requests as they arrive: each request's random stream comes from its number. */
	readonly arrivals: {count: number};
};

const send = (server: Server, response: ServerResponse, reply: Reply): void => {
	if (response.destroyed || response.writableEnded) {
		// Only a charged answer that never arrives matters to a client's bill.
		if (reply.charged === true) {
			server.counter.undelivered();
		}

		return;
	}

	response.writeHead(reply.status, {'content-type': 'application/json', ...reply.headers}).end(JSON.stringify(reply.body));
};

const sendPage = (response: ServerResponse, status: 502 | 503): void => {
	if (!response.destroyed && !response.writableEnded) {
		response.writeHead(status, {'content-type': 'text/html'}).end(proxyPage(status));
	}
};

/**
Serves one request: the outage window, then the infrastructure faults (resets, proxy pages), then the
API itself, then a held-back answer. Each request draws its numbers from its own seeded stream, at once
and in the same order, so that a seed replays a run request by request whatever each one's fate.
*/
export const serve = async (server: Server, request: IncomingMessage, response: ServerResponse): Promise<void> => {
	const {scenario: {faults, seed}, counter} = server;
	const random = requestRandom(seed, ++server.arrivals.count);
	const [resetBefore = 1, proxy = 1, proxyKind = 1, resetAfter = 1, slow = 1] = Array.from({length: 5}, random);
	const method = request.method ?? 'GET';
	const {url, pathname} = pathnameOf(request.url);
	const match = server.matchRoute(method, pathname);
	const elapsed = server.now() - server.startedAt();
	const {outage} = faults;
	// An outage is the whole infrastructure failing: it decides every request's fate on its own.
	const outageResponse = outage !== null && elapsed >= outage.startMs && elapsed < outage.startMs + outage.durationMs ? outage.respond : undefined;
	if (outageResponse === 'reset' || (outageResponse === undefined && resetBefore < faults.resetBeforeRead)) {
		counter.count(match.route, outageResponse === undefined ? 'reset-before-read' : 'reset-outage');
		request.socket.destroy();
		return;
	}

	let body: string | undefined;
	try {
		body = await readBody(request);
	} catch {
		// The client went away mid-body: there is nobody to answer.
		counter.count(match.route, 'aborted');
		return;
	}

	if (outageResponse === 'proxy-503' || (outageResponse === undefined && proxy < faults.proxyError)) {
		const status = outageResponse === undefined && proxyKind < 0.5 ? 502 : 503;
		counter.count(match.route, `proxy-${status}`);
		sendPage(response, status);
		return;
	}

	if (outageResponse === undefined && resetAfter < faults.resetAfterRead) {
		counter.count(match.route, 'reset-after-read');
		request.socket.destroy();
		return;
	}

	const header = request.headers['x-api-key'];
	const reply: Reply = body === undefined
		? {status: 400, body: {error: `Request body over ${maxBody} bytes`, code: 'INVALID_BODY'}, headers: {connection: 'close'}}
		: outageResponse === 'execution-failed'
			? {status: 500, body: {error: 'Provider call failed: upstream unavailable', code: 'EXECUTION_FAILED'}}
			: handle(server.state, {method, url, apiKey: typeof header === 'string' ? header : undefined, body}, {faults, random, now: server.now()}, match);
	counter.count(match.route, match.route === 'unknown' && reply.status === 404 ? 'unknown-route' : outcomeOf(reply.status, reply.body));
	const delay = (reply.delayMs ?? 0) + (slow < faults.slow ? faults.slowMs : 0);
	if (delay <= 0) {
		send(server, response, reply);
		return;
	}

	const timer = setTimeout(() => {
		server.held.delete(timer);
		send(server, response, reply);
	}, delay);
	server.held.set(timer, reply);
};
