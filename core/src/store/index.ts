import { homedir } from 'node:os';
import { join } from 'node:path';
import { PortcullisError, type ErrorCode } from '../errors.js';
import { createMemoryStore } from './memory.js';
import { createRedisStore } from './redis.js';
import { createSqliteStore } from './sqlite.js';
import type { TaskStore } from '../tasks/types.js';
import { createMemoryTaskStore } from './task-memory.js';
import { createRedisTaskStore } from './task-redis.js';
import { createSqliteTaskStore } from './task-sqlite.js';
import type { VerdictStore } from './verdict-store.js';

export type { AdvisoryHit, SavedSnapshot, ScanOrigin, StoredScan, VerdictStore } from './verdict-store.js';
export {
  parseStoredScan,
  toAdvisoryHits,
  toAdvisoryKey,
  toScanProjection,
  toStoredProjection,
} from './verdict-store.js';
export { createMemoryStore } from './memory.js';
export { createSqliteStore } from './sqlite.js';
export { createRedisStore, type RedisStoreOptions } from './redis.js';
// recent admission decisions (the webhook records them, the console's Overview reads them)
export { ADMISSION_LOG_CAP, type AdmissionEvent } from './verdict-store.js';

/** Where scan results (and registry-scan tasks) live. */
export type StoreSpec =
  { kind: 'memory' } | { kind: 'sqlite'; path: string } | { kind: 'redis'; url: string; keyPrefix: string };

/**
 * The SQLite file `registry scan`, `tasks` and `webhook serve --store sqlite` share when no path is given:
 * `$PORTCULLIS_STORE`, else `~/.cache/portcullis/store.sqlite` (beside the vulnerability DB's default).
 */
export function defaultStorePath(env: NodeJS.ProcessEnv): string {
  return env.PORTCULLIS_STORE ?? join(env.HOME ?? homedir(), '.cache', 'portcullis', 'store.sqlite');
}

/** `memory` | `sqlite` (the default file) | `sqlite:PATH` | `redis://HOST:PORT[/DB]` → StoreSpec. */
export function parseStoreSpec(spec: string, env: NodeJS.ProcessEnv, code: ErrorCode): StoreSpec {
  if (spec === 'memory') return { kind: 'memory' };
  if (spec === 'sqlite') return { kind: 'sqlite', path: defaultStorePath(env) };
  if (spec.startsWith('sqlite:') && spec.length > 'sqlite:'.length)
    return { kind: 'sqlite', path: spec.slice(7) };
  if (/^rediss?:\/\//.test(spec)) return { kind: 'redis', url: spec, keyPrefix: 'portcullis:' };
  throw new PortcullisError(code, `invalid store "${spec}" (memory | sqlite[:PATH] | redis://HOST:PORT)`);
}

/** Opens the verdict store the spec names. */
export function createVerdictStore(cfg: StoreSpec, opts: { commandTimeoutMs?: number } = {}): VerdictStore {
  switch (cfg.kind) {
    case 'memory':
      return createMemoryStore();
    case 'sqlite':
      return createSqliteStore(cfg.path);
    case 'redis':
      return createRedisStore({ url: cfg.url, keyPrefix: cfg.keyPrefix, ...opts });
  }
}

export { createMemoryTaskStore } from './task-memory.js';
export { createSqliteTaskStore } from './task-sqlite.js';
export { createRedisTaskStore } from './task-redis.js';

/** Opens the task store the spec names (the same place as the verdict store: one `--store` for both). */
export function createTaskStore(cfg: StoreSpec): TaskStore {
  switch (cfg.kind) {
    case 'memory':
      return createMemoryTaskStore();
    case 'sqlite':
      return createSqliteTaskStore(cfg.path);
    case 'redis':
      return createRedisTaskStore({ url: cfg.url, keyPrefix: cfg.keyPrefix });
  }
}
