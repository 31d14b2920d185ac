import {fail, isRecord} from '../validate.js';
import {baseCapability, slugPattern} from './capabilities.js';

// The scenario arrives as data (often hand-written JSON), so every field is checked as `unknown`.
type Data = Readonly<Record<string, unknown>>;

const record = (value: unknown, field: string, expected: string): Data => isRecord(value) ? value : fail(field, expected, value);
const array = (value: unknown, field: string, expected: string): readonly unknown[] => Array.isArray(value) ? value : fail(field, expected, value);

const check = (ok: boolean, field: string, expected: string, got: unknown): void => {
	if (!ok) {
		fail(field, expected, got);
	}
};

const isCount = (value: unknown): boolean => Number.isSafeInteger(value) && (value as number) >= 0;
const isAmount = (value: unknown): boolean => typeof value === 'number' && Number.isFinite(value) && value >= 0;
const isStrings = (value: unknown): boolean => Array.isArray(value) && value.every(item => typeof item === 'string');
const isCapabilities = (value: unknown): boolean => isStrings(value) && (value as string[]).every(item => baseCapability(item) !== undefined);

const checkTier = (tier: Data, at: string): void => {
	check(isCount(tier['requestsPerWindow']) && (tier['requestsPerWindow'] as number) > 0, `${at}.requestsPerWindow`, 'a positive integer', tier['requestsPerWindow']);
	check(tier['maxWorkflows'] === null || isCount(tier['maxWorkflows']), `${at}.maxWorkflows`, 'a non-negative integer, or null for no cap', tier['maxWorkflows']);
	check(typeof tier['canCreateKeys'] === 'boolean', `${at}.canCreateKeys`, 'a boolean', tier['canCreateKeys']);
	check(isCapabilities(tier['capabilityCeiling']), `${at}.capabilityCeiling`, 'an array of well-formed capabilities (such as \'model:run\')', tier['capabilityCeiling']);
	const grants = record(tier['grants'], `${at}.grants`, 'an object of trial runs by model');
	for (const [model, runs] of Object.entries(grants)) {
		check(isCount(runs), `${at}.grants.${model}`, 'a non-negative integer of runs', runs);
	}
};

const checkModel = (model: Data, at: string, tiers: Data, seen: Set<unknown>): void => {
	const name = model['internalName'];
	check(typeof name === 'string' && slugPattern.test(name), `${at}.internalName`, 'a slug (lowercase letters, digits and hyphens)', name);
	check(!seen.has(name), `${at}.internalName`, 'a name no other model has', name);
	seen.add(name);
	check(typeof model['enabled'] === 'boolean', `${at}.enabled`, 'a boolean', model['enabled']);
	check(typeof model['minTier'] === 'string' && Object.hasOwn(tiers, model['minTier']), `${at}.minTier`, `one of the scenario's tiers (${Object.keys(tiers).join(', ')})`, model['minTier']);
	check(isAmount(model['price']), `${at}.price`, 'a non-negative number of credits', model['price']);
	check(typeof model['async'] === 'boolean', `${at}.async`, 'a boolean', model['async']);
	check(isAmount(model['runMs']) && (model['runMs'] as number) <= 2_147_483_647, `${at}.runMs`, 'a number of milliseconds from 0 to 2^31 - 1 (a timer limit)', model['runMs']);
};

const checkAccount = (account: Data, at: string, tiers: Data, seen: Set<unknown>): void => {
	check(typeof account['id'] === 'string', `${at}.id`, 'a string', account['id']);
	check(typeof account['tier'] === 'string' && Object.hasOwn(tiers, account['tier']), `${at}.tier`, `one of the scenario's tiers (${Object.keys(tiers).join(', ')})`, account['tier']);
	check(isAmount(account['credits']), `${at}.credits`, 'a non-negative number of credits', account['credits']);
	for (const [index, item] of array(account['keys'], `${at}.keys`, 'an array of keys').entries()) {
		const key = record(item, `${at}.keys[${index}]`, '`{key, createdAt, capabilities}`');
		check(typeof key['key'] === 'string' && key['key'] !== '', `${at}.keys[${index}].key`, 'a non-empty string', key['key']);
		check(!seen.has(key['key']), `${at}.keys[${index}].key`, 'a key no other key repeats', key['key']);
		seen.add(key['key']);
		check(typeof key['createdAt'] === 'string' && !Number.isNaN(Date.parse(key['createdAt'])), `${at}.keys[${index}].createdAt`, 'an ISO date string', key['createdAt']);
		check(isCapabilities(key['capabilities']), `${at}.keys[${index}].capabilities`, 'an array of well-formed capabilities (such as \'model:run\')', key['capabilities']);
	}
};

/**
Checks a scenario's world (tiers, accounts, models) field by field, so that a mistake in a hand-written
scenario is a TypeError naming the field, not a failure at request time.
*/
export const checkWorld = (scenario: {readonly tiers: unknown; readonly accounts: unknown; readonly models: unknown}): void => {
	const tiers = record(scenario.tiers, 'tiers', 'an object of tiers by name');
	for (const [name, tier] of Object.entries(tiers)) {
		checkTier(record(tier, `tiers.${name}`, 'a tier object'), `tiers.${name}`);
	}

	const keys = new Set<unknown>();
	const ids = new Set<unknown>();
	for (const [index, item] of array(scenario.accounts, 'accounts', 'an array of accounts').entries()) {
		const account = record(item, `accounts[${index}]`, '`{id, tier, credits, keys}`');
		check(!ids.has(account['id']), `accounts[${index}].id`, 'an id no other account has', account['id']);
		ids.add(account['id']);
		checkAccount(account, `accounts[${index}]`, tiers, keys);
	}

	const models = new Set<unknown>();
	for (const [index, model] of array(scenario.models, 'models', 'an array of models').entries()) {
		checkModel(record(model, `models[${index}]`, '`{internalName, enabled, minTier, price, async, runMs}`'), `models[${index}]`, tiers, models);
	}
};
