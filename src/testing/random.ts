import {uniformFloat64} from 'pure-rand/distribution/uniformFloat64';
import {mersenne} from 'pure-rand/generator/mersenne';

/** A seeded source of numbers in [0, 1): the same seed gives the same sequence. */
export type Random = () => number;

/** A seeded random source (Mersenne Twister, from pure-rand; well spread even for small seeds). */
export const seededRandom = (seed: number): Random => {
	const generator = mersenne(seed);
	return () => uniformFloat64(generator);
};

/**
The random source of one request: its own stream, from the scenario's seed and the request's arrival
number, so that what one request draws never shifts what a later one gets.
*/
export const requestRandom = (seed: number, arrival: number): Random => {
	// Mixes the two into a well-spread 32-bit seed (the finaliser of MurmurHash3).
	let mixed = (seed ^ Math.imul(arrival, 0x9E_37_79_B1)) >>> 0;
	mixed = Math.imul(mixed ^ (mixed >>> 16), 0x85_EB_CA_6B) >>> 0;
	mixed = Math.imul(mixed ^ (mixed >>> 13), 0xC2_B2_AE_35) >>> 0;
	return seededRandom((mixed ^ (mixed >>> 16)) >>> 0);
};

/** A version 4 UUID drawn from `random`, so that execution ids repeat under a seed. */
export const randomUuid = (random: Random): string => {
	const bytes = Array.from({length: 16}, () => Math.floor(random() * 256));
	// The version (4) and variant (RFC 9562) bits.
	bytes[6] = ((bytes[6] ?? 0) & 0x0F) | 0x40;
	bytes[8] = ((bytes[8] ?? 0) & 0x3F) | 0x80;
	const hex = bytes.map(byte => byte.toString(16).padStart(2, '0')).join('');
	return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
};
