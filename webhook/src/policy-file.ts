import { watch, type FSWatcher } from 'node:fs';
import { dirname, basename } from 'node:path';
import type { Logger } from './logger.js';
import {
  createPolicyEngine,
  type AdmissionPolicy,
  type PolicyEngine,
  type PolicyFunctions,
} from './policy-engine.js';

/** A policy engine fed from a file (the ConfigMap mount), reloaded on change; a bad edit keeps the last good policy. */
export interface FilePolicyEngine extends PolicyEngine {
  /** Re-reads the file now; rejects (and keeps the old policy) when it is invalid. */
  reload(): Promise<void>;
  close(): void;
}

export async function createFilePolicyEngine<P extends AdmissionPolicy>(opts: {
  path: string;
  /** Reads and resolves the policy file (core's `loadPolicy` + `resolvePolicy`). */
  load: (path: string) => Promise<P>;
  fns: PolicyFunctions<P>;
  logger: Logger;
}): Promise<FilePolicyEngine> {
  const engine = createPolicyEngine(await opts.load(opts.path), opts.fns);
  let timer: NodeJS.Timeout | undefined;
  const reload = async (): Promise<void> => {
    const p = await opts.load(opts.path);
    engine.setPolicy(p);
    opts.logger.info('policy reloaded', { path: opts.path, policyDigest: engine.current().digest });
  };
  let watcher: FSWatcher | undefined;
  try {
    // Watch the directory: Kubernetes updates ConfigMap mounts by swapping a symlink, not by writing the file.
    watcher = watch(dirname(opts.path), (_event, name) => {
      if (name !== null && name !== basename(opts.path) && !name.startsWith('..')) return;
      clearTimeout(timer);
      timer = setTimeout(() => {
        reload().catch((err: unknown) =>
          opts.logger.error('policy reload failed; keeping the previous policy', {
            path: opts.path,
            error: err,
          }),
        );
      }, 100);
    });
    watcher.on('error', () => {});
  } catch (err) {
    opts.logger.warn('cannot watch the policy file; changes need a restart', { path: opts.path, error: err });
  }
  return {
    current: () => engine.current(),
    reload,
    close() {
      clearTimeout(timer);
      watcher?.close();
    },
  };
}
