import {afterEach, describe, expect, it, vi} from 'vitest';

// Whether ky would set `duplex: 'half'` in the options it hands hooks: the runtime's Request takes a
// stream body. Each case loads the module afresh, since the answer is worked out once.
const load = async () => {
	vi.resetModules();
	return (await import('../src/request-streams.js')).supportsRequestStreams;
};

afterEach(() => {
	vi.unstubAllGlobals();
});

describe('supportsRequestStreams()', () => {
	it('says yes on a runtime whose Request takes a stream body with duplex, as Node.js does', async () => {
		const supports = await load();
		expect(supports()).toBe(true);
	});

	it('says no where Request never reads duplex (a browser without request streams), and where it turns the stream into text', async () => {
		vi.stubGlobal('Request', class {
			readonly headers = new Headers();
		});
		expect((await load())()).toBe(false);
		vi.stubGlobal('Request', class {
			readonly headers = new Headers({'content-type': 'text/plain;charset=UTF-8'});
			readonly duplex: string | undefined;
			constructor(_url: string, init: {duplex?: string}) {
				this.duplex = init.duplex;
			}
		});
		expect((await load())()).toBe(false);
	});

	it('says no where building such a Request throws, and works it out only once', async () => {
		let built = 0;
		vi.stubGlobal('Request', function () {
			built++;
			throw new TypeError('unsupported BodyInit type');
		});
		const supports = await load();
		expect(supports()).toBe(false);
		expect(supports()).toBe(false);
		expect(built).toBe(1);
	});
});
