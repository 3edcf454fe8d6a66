import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { wrapError } from '../../core/src/index.js';
import type { StoreConfig } from './config.js';
import { isObj } from './raw.js';

/**
 * The store `webhook serve` opens: `--store`, else the config file's `store:`, else the SQLite file
 * `registry scan` and `tasks` write by default (`defaultPath`), so a webhook started after a registry scan on
 * the same machine decides those images from its verdicts. `sqlite` alone is that same file. `undefined`:
 * the config file's setting stands.
 */
export function toServeStoreSpec(
  flag: string | undefined,
  configText: string | null,
  defaultPath: string,
): string | undefined {
  if (flag === 'sqlite') return `sqlite:${defaultPath}`;
  if (flag !== undefined) return flag;
  return hasStoreSetting(configText) ? undefined : `sqlite:${defaultPath}`;
}

/** True when the config text sets `store:` (the text was validated before: a parse failure counts as unset). */
function hasStoreSetting(text: string | null): boolean {
  if (!text) return false;
  try {
    const raw: unknown = parseYaml(text);
    return isObj(raw) && raw.store !== undefined && raw.store !== null;
  } catch {
    return false;
  }
}

/** Creates the SQLite store's folder (`~/.cache/portcullis/` on a fresh machine), as `registry scan` does. */
export function prepareStore(store: StoreConfig): void {
  if (store.kind !== 'sqlite') return;
  try {
    mkdirSync(dirname(store.path), { recursive: true });
  } catch (err) {
    throw wrapError(
      err,
      `creating the folder of the verdict store ${store.path} (--store memory keeps verdicts in memory)`,
      'WEBHOOK_STORE_UNAVAILABLE',
    );
  }
}

/** The start-up line naming the verdict store (a Redis URL without its credentials). */
export function describeStore(store: StoreConfig, defaultPath: string): string {
  switch (store.kind) {
    case 'memory':
      return 'verdict store: memory (verdicts are lost at exit; registry scan results are not seen)';
    case 'sqlite':
      return store.path === defaultPath
        ? `verdict store: SQLite ${store.path} (the default file registry scan writes; --store memory for none)`
        : `verdict store: SQLite ${store.path}`;
    case 'redis': {
      let where = 'Redis';
      try {
        const url = new URL(store.url);
        where = `Redis ${url.protocol}//${url.host}${url.pathname === '/' ? '' : url.pathname}`;
      } catch {
        // the spec was validated; an unparsable URL is not printed (it may hold a password)
      }
      return `verdict store: ${where}`;
    }
  }
}
