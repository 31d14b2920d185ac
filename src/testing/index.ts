export {createKnoudsSimulator, type KnoudsSimulator, type KnoudsSimulatorOptions} from './simulator.js';
export {scenarios} from './scenarios.js';
export {resolveScenario} from './resolve-scenario.js';
export {defaultPaths, routeNames, type RouteName, type RoutePaths} from './router.js';
export type {RequestOutcome, SimulatorStats} from './stats.js';
export type {Charge} from './state.js';
export type {ScenarioInput, ScenarioName, SimulatorAccount, SimulatorFaults, SimulatorKey, SimulatorModel, SimulatorRateLimit, SimulatorScenario, SimulatorTier} from './types.js';
