import type {RetryOptions} from 'ky';

/** ky retry options as a reader would write them. */
export const formatRetry = (retry: RetryOptions): string => `{${Object.entries(retry)
	.map(([key, value]) => `${key}: ${Array.isArray(value) ? `[${value.map(item => typeof item === 'string' ? `'${item}'` : String(item)).join(', ')}]` : String(value)}`)
	.join(', ')}}`;
