import {describe, expect, it} from 'vitest';
import {redactUrl, secretsInUrl} from '../src/redact-url.js';
import {isSecretParameter} from '../src/secret-names.js';

describe('isSecretParameter', () => {
	it.each([
		'key', 'KEY', 'api_key', 'apikey', 'APIKEY', 'api-key', 'x-api-key', 'apiKey', 'XApiKey', 'token', 'access_token', 'accessToken',
		'refresh_token', 'id_token', 'auth', 'Authorization', 'password', 'passwd', 'pwd', 'secret', 'client_secret', 'clientSecret',
		'signature', 'X-Amz-Signature', 'X-Amz-Security-Token', 'X-Amz-Credential', 'sig', 'private_key', 'session', 'sessionId', 'jwt', 'api.key',
		'pass', 'passphrase', 'credentials', 'hmac', 'ACCESS_TOKEN', 'X_API_KEY', 'user[password]', 'client[api_key]', 'access_token[]',
	])('takes a parameter named %s for a credential', name => {
		expect(isSecretParameter(name)).toBe(true);
	});

	it.each(['model', 'page', 'async', 'monkey', 'keyboard', 'tokens_used', 'author', 'signed', 'bypass', 'code', 'client_id', 'session_count', ''])('leaves a parameter named %s alone', name => {
		expect(isSecretParameter(name)).toBe(false);
	});
});

describe('redactUrl', () => {
	it('replaces the value of every credential parameter and keeps the rest of the URL exactly as written', () => {
		expect(redactUrl('https://api.test/v1/run?model=a%20b&api_key=k%2Fey&page=2&Token=t#top'))
			.toBe('https://api.test/v1/run?model=a%20b&api_key=[REDACTED]&page=2&Token=[REDACTED]#top');
	});

	it('reads a percent-encoded parameter name before it judges it', () => {
		expect(redactUrl('https://api.test/?api%5Fkey=abc')).toBe('https://api.test/?api%5Fkey=[REDACTED]');
	});

	it('redacts every occurrence of a repeated parameter, and leaves an empty value empty', () => {
		expect(redactUrl('https://api.test/?key=a&key=b&token=')).toBe('https://api.test/?key=[REDACTED]&key=[REDACTED]&token=');
	});

	it('redacts a token in the fragment, where OAuth puts one', () => {
		expect(redactUrl('https://app.test/cb#access_token=abc&state=1')).toBe('https://app.test/cb#access_token=[REDACTED]&state=1');
	});

	it('redacts a key in a URL nested in another parameter', () => {
		expect(redactUrl('https://api.test/?next=https://other.test/x?key=abc')).toBe('https://api.test/?next=https://other.test/x?key=[REDACTED]');
	});

	it('redacts the user information of a URL', () => {
		expect(redactUrl('https://user:pa%40ss@api.test/run')).toBe('https://[REDACTED]@api.test/run');
	});

	it('redacts URLs inside any text, up to where the URL ends', () => {
		expect(redactUrl('Request failed due to a network error: GET https://api.test/run?key=abc (retried "https://api.test/?token=xyz")'))
			.toBe('Request failed due to a network error: GET https://api.test/run?key=[REDACTED] (retried "https://api.test/?token=[REDACTED]")');
	});

	it('redacts the user information of every URL in a text, not only the last one', () => {
		expect(redactUrl('retried https://me:first-pass@a.test/x after https://you:second-pass@b.test/y'))
			.toBe('retried https://[REDACTED]@a.test/x after https://[REDACTED]@b.test/y');
	});

	it('returns text without a credential as it is', () => {
		const text = 'https://api.test/run?model=flux&count=2';
		expect(redactUrl(text)).toBe(text);
		expect(redactUrl('not a url at all')).toBe('not a url at all');
	});
});

describe('secretsInUrl', () => {
	it('lists each credential as written and decoded, and a password of the user information', () => {
		expect(secretsInUrl('https://me:p%40ss@api.test/?model=x&key=a%2Bb+c')).toEqual(['a%2Bb+c', 'a+b c', 'me:p%40ss', 'me:p@ss', 'p%40ss', 'p@ss']);
	});

	it('lists a token given as the user name alone, as written and decoded', () => {
		expect(secretsInUrl('https://ghp_abc%2Fdef@github.test/repo.git')).toEqual(['ghp_abc%2Fdef', 'ghp_abc/def']);
	});

	it('lists nothing for a credential parameter left empty, as redactUrl redacts nothing there', () => {
		expect(secretsInUrl('https://api.test/?key=&token=&model=x')).toEqual([]);
	});

	it('lists nothing for a URL without credentials', () => {
		expect(secretsInUrl('https://api.test/run?model=x')).toEqual([]);
	});
});
