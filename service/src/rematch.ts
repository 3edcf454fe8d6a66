import {
  createScanHooks,
  type Decision,
  type OsInfo,
  type Policy,
  type StoredScan,
  type VerdictStore,
} from '../../core/src/index.js';
import { evaluateStored } from './images.js';
import type { Logger } from './logger.js';
import type { ServiceMetrics } from './metrics.js';

/** What one re-match pass did. */
export interface RematchSummary {
  /** Stored results whose scan matched vulnerabilities (the others are left alone). */
  images: number;
  /** Results whose vulnerability findings differ after the update. */
  changed: number;
  verdictChanges: { digest: string; reference: string; from: Decision; to: Decision }[];
  failed: number;
}

// notes the matcher writes: replaced by the new match's own
const MATCH_NOTE = /^(DB_|VULN_)/;

const vulnKey = (s: StoredScan['scan']): string =>
  s.findings
    .filter((f) => f.type === 'vulnerability')
    .map((f) => `${f.id}\0${f.package?.name}\0${f.package?.version}\0${f.severity}`)
    .sort()
    .join('\n');

/**
 * Re-matches every stored inventory against the DB at `dbPath`, without pulling any image: the store keeps each
 * image's packages and OS, so only the vulnerability findings (and the matcher's notes) are recomputed. Changed
 * results are stored again; verdict changes under the current policy are logged and counted.
 */
export async function rematchStored(opts: {
  verdicts: VerdictStore;
  dbPath: string;
  policy: Policy;
  now?: () => Date;
  logger?: Logger;
  metrics?: ServiceMetrics;
}): Promise<RematchSummary> {
  const now = opts.now ?? (() => new Date());
  const hooks = createScanHooks({ dbPath: opts.dbPath });
  const summary: RematchSummary = { images: 0, changed: 0, verdictChanges: [], failed: 0 };
  for (const entry of await opts.verdicts.list()) {
    // `db` is set only when the vuln scanner ran: a secrets-only result is not given vulnerabilities it never had
    if (!entry.scan.db) continue;
    summary.images++;
    try {
      const match = await hooks.matchVulnerabilities?.(
        entry.scan.packages,
        entry.scan.image.os as OsInfo | undefined,
      );
      if (!match) continue;
      const scan: StoredScan['scan'] = {
        ...entry.scan,
        findings: [...entry.scan.findings.filter((f) => f.type !== 'vulnerability'), ...match.findings],
        notes: [...entry.scan.notes.filter((n) => !MATCH_NOTE.test(n.code)), ...match.notes],
        db: {
          ...(match.dbBuiltAt ? { builtAt: match.dbBuiltAt } : {}),
          ...(match.dbPath ? { path: match.dbPath } : {}),
        },
      };
      if (vulnKey(scan) === vulnKey(entry.scan)) {
        opts.metrics?.rematched.inc({ outcome: 'unchanged' });
        continue;
      }
      const at = now();
      const before = evaluateStored(entry, opts.policy, at).verdict.decision;
      const next: StoredScan = { ...entry, scan, storedAt: at.toISOString() };
      const after = evaluateStored(next, opts.policy, at).verdict.decision;
      await opts.verdicts.put(next);
      summary.changed++;
      opts.metrics?.rematched.inc({ outcome: 'changed' });
      if (before !== after) {
        summary.verdictChanges.push({
          digest: entry.digest,
          reference: entry.scan.image.ref,
          from: before,
          to: after,
        });
        opts.metrics?.verdictChanges.inc({ from: before, to: after });
        opts.logger?.warn('verdict changed after DB update', {
          digest: entry.digest,
          reference: entry.scan.image.ref,
          from: before,
          to: after,
        });
      }
    } catch (error) {
      summary.failed++;
      opts.metrics?.rematched.inc({ outcome: 'failed' });
      opts.logger?.error('re-match failed', { digest: entry.digest, error });
    }
  }
  return summary;
}
