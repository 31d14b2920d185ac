export {knoudsRetry} from './ky.js';
export {createKnoudsFetch, toKnoudsError, type KnoudsFetch, type KnoudsFetchOptions} from './fetch.js';
export {KnoudsError, isKnoudsError, type KnoudsErrorInit, type KnoudsErrorOf} from './errors/knouds-error.js';
export {knoudsErrorCatalog, type KnoudsCatalogEntry, type KnoudsCode, type PolicyKey, type TransportCode} from './catalog.js';
export {defaultPolicy, type CodePolicy, type CodePolicyInput, type PolicyInput, type ResolvedCodePolicy, type ResolvedPolicy} from './policy.js';
export type {FetchLike, KnoudsRetryOptions, RetryEvent, ShouldRetryContext} from './options.js';
export type {Decision, DelaySource, StopReason} from './decide.js';
export type {Jitter} from './backoff.js';
export type {KnoudsErrorContext} from './error-body.js';
