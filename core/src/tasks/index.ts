export * from './types.js';
export type { ImageLister, ListedImage } from './lister.js';
export { SYSTEM_CLOCK, type TaskClock } from './clock.js';
export { createThrottle, type Throttle } from './throttle.js';
export {
  checkTimeRange,
  isExplicitRepository,
  isRepositoryInScope,
  selectLatest,
  selectRepositories,
  toImageTime,
  type ScopeSettings,
} from './scope.js';
export { toFailureCause, type CauseContext } from './causes.js';
export {
  runTask,
  countBySeverity,
  DEFAULT_REGISTRY_CONCURRENCY,
  type RunTaskOptions,
  type TaskRegistry,
} from './engine.js';
export { applyRetention, type Retention } from './retention.js';
