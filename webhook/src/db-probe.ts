import { openVulnDb, toHumanSpan } from '../../core/src/index.js';

/** What the webhook knows about the vulnerability DB its background scans use. */
export interface DbProbeResult {
  ready: boolean;
  path: string;
  builtAt?: string;
  /** Human age of the DB (`3d 4h`), when it has a build time. */
  age?: string;
  /** Why the DB is not usable, when it is not. */
  message?: string;
}

/**
 * Checks the DB at `path` (opened read-only, then closed), at most once per `ttlMs`: `/readyz` may be polled
 * every few seconds by every kubelet, and a DB that `db update` has just written should be seen soon after.
 */
export function createDbProbe(
  path: string,
  opts: { ttlMs?: number; now?: () => Date } = {},
): () => DbProbeResult {
  const ttlMs = opts.ttlMs ?? 10_000;
  const now = opts.now ?? (() => new Date());
  let cached: { at: number; result: DbProbeResult } | undefined;
  return () => {
    const t = now().getTime();
    if (cached && t - cached.at < ttlMs) return cached.result;
    cached = { at: t, result: probeDb(path, t) };
    return cached.result;
  };
}

function probeDb(path: string, nowMs: number): DbProbeResult {
  try {
    const db = openVulnDb(path);
    try {
      const builtAt = db.builtAt;
      const ms = builtAt ? nowMs - Date.parse(builtAt) : NaN;
      return {
        ready: true,
        path,
        ...(builtAt ? { builtAt } : {}),
        ...(Number.isNaN(ms) ? {} : { age: toHumanSpan(Math.max(0, ms)) }),
      };
    } finally {
      db.close();
    }
  } catch (err) {
    return { ready: false, path, message: (err as Error).message };
  }
}

/** The start-up line: which DB the webhook uses and how old it is, or why it has none. */
export function describeDbProbe(db: DbProbeResult): string {
  if (db.ready)
    return `vulnerability DB ${db.path}${db.builtAt ? `, built ${db.builtAt} (${db.age ?? '?'} old)` : ', build time unknown'}`;
  return `WARNING: no usable vulnerability DB at ${db.path} (${db.message ?? 'unreadable'}): /readyz reports not ready and scans check no vulnerabilities until \`portcullis db update\` writes one`;
}
