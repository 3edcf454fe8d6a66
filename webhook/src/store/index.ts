import type { StoreConfig } from '../config.js';
import { createMemoryStore } from './memory.js';
import { createRedisStore } from './redis.js';
import { createSqliteStore } from './sqlite.js';
import type { VerdictStore } from './verdict-store.js';

export type { ScanOrigin, StoredScan, VerdictStore } from './verdict-store.js';
export { createMemoryStore } from './memory.js';
export { createSqliteStore } from './sqlite.js';
export { createRedisStore, type RedisStoreOptions } from './redis.js';

/** Opens the store the config names. */
export function createVerdictStore(cfg: StoreConfig, opts: { commandTimeoutMs?: number } = {}): VerdictStore {
  switch (cfg.kind) {
    case 'memory':
      return createMemoryStore();
    case 'sqlite':
      return createSqliteStore(cfg.path);
    case 'redis':
      return createRedisStore({ url: cfg.url, keyPrefix: cfg.keyPrefix, ...opts });
  }
}
