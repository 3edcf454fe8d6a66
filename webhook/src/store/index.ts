// The verdict store lives in core (registry scans write it, the webhook reads it); re-exported here so the
// webhook's modules and tests keep one import path.
export {
  createMemoryStore,
  createRedisStore,
  createSqliteStore,
  createVerdictStore,
  parseStoredScan,
  type RedisStoreOptions,
  type ScanOrigin,
  type StoredScan,
  type VerdictStore,
} from '../../../core/src/index.js';
