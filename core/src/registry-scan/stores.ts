import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { createTaskStore, createVerdictStore, parseStoreSpec, type StoreSpec } from '../store/index.js';
import type { VerdictStore } from '../store/verdict-store.js';
import type { TaskStore } from '../tasks/types.js';

/** The task and verdict stores one `--store` names (one SQLite file, or one Redis), opened together. */
export interface ScanStores {
  spec: StoreSpec;
  tasks: TaskStore;
  verdicts: VerdictStore;
  close(): Promise<void>;
}

/** Opens `--store` (default: the shared SQLite file, whose folder is created). */
export function openScanStores(spec: string | undefined, env: NodeJS.ProcessEnv): ScanStores {
  const parsed = parseStoreSpec(spec ?? 'sqlite', env, 'USAGE_INVALID');
  if (parsed.kind === 'sqlite') mkdirSync(dirname(parsed.path), { recursive: true });
  const tasks = createTaskStore(parsed);
  const verdicts = createVerdictStore(parsed, { commandTimeoutMs: 5000 });
  return {
    spec: parsed,
    tasks,
    verdicts,
    close: async () => {
      await Promise.all([tasks.close(), verdicts.close()]);
    },
  };
}
