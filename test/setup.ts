import nock from 'nock';
import {afterEach, beforeAll, vi} from 'vitest';

beforeAll(() => {
	// Unit tests never reach a network; loopback stays open for the integration tests' own servers.
	nock.disableNetConnect();
	nock.enableNetConnect(host => host.startsWith('127.0.0.1') || host.startsWith('localhost'));
});

afterEach(() => {
	nock.cleanAll();
	vi.useRealTimers();
});
