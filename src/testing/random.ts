import {uniformFloat64} from 'pure-rand/distribution/uniformFloat64';
import {mersenne} from 'pure-rand/generator/mersenne';

/** A seeded source of numbers in [0, 1): the same seed gives the same sequence. */
export type Random = () => number;

/** A seeded random source (Mersenne Twister, from pure-rand; well spread even for small seeds). */
export const seededRandom = (seed: number): Random => {
	const generator = mersenne(seed);
	return () => uniformFloat64(generator);
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
