import {
  policyDigest,
  resolvePolicy,
  SEVERITIES,
  type Policy,
  type Severity,
  type StoredScan,
  type TaskStore,
  type VerdictStore,
} from '../../core/src/index.js';
import {
  evaluateStored,
  toImageLocation,
  toRegistryName,
  type ImageFilter,
  type ImageSummary,
} from './images.js';
import { RISK_CATEGORIES, toRiskCategory, type RiskCategory } from './risk-categories.js';

/** One stored image, evaluated once under the current policy: its summary and what the filters ask about. */
export interface IndexedImage {
  summary: ImageSummary;
  /** Unsuppressed findings by console category and severity. */
  findings: Record<RiskCategory, Record<Severity, number>>;
  /** `type|severity` of every unsuppressed finding, for the riskType/severity filters. */
  risks: Set<string>;
}

/** What the console's lists read: every image evaluated, and when that was. */
export interface ImageSnapshot {
  images: IndexedImage[];
  builtAt: Date;
  /** True while a newer snapshot is being built (the page says its data may be a little behind). */
  refreshing: boolean;
}

export interface ImageIndex {
  read(): Promise<ImageSnapshot>;
}

const zero = (): Record<Severity, number> => Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as never;

export function toIndexedImage(entry: StoredScan, policy: Policy, now: Date): IndexedImage {
  const { findings, verdict } = evaluateStored(entry, policy, now);
  const { host, repository } = toImageLocation(entry.scan.image.ref);
  const registry = toRegistryName(policy, host);
  const counts = Object.fromEntries(RISK_CATEGORIES.map((c) => [c, zero()])) as IndexedImage['findings'];
  const risks = new Set<string>();
  for (const f of findings) {
    if (f.suppressedBy) continue;
    counts[toRiskCategory(f)][f.severity]++;
    risks.add(`${f.type}|${f.severity}`).add(`${f.type}|*`).add(`*|${f.severity}`);
  }
  return {
    summary: {
      digest: entry.digest,
      reference: entry.scan.image.ref,
      ...(registry ? { registry } : {}),
      repository,
      scannedAt: entry.scannedAt,
      verdict: verdict.decision,
      counts: { byType: verdict.counts.byType, bySeverity: verdict.counts.bySeverity },
    },
    findings: counts,
    risks,
  };
}

/** The filter of `/api/v1/images` applied to indexed images (same rules as `selectImages`). */
export function isImageSelected(i: IndexedImage, filter: ImageFilter): boolean {
  const s = i.summary;
  if (filter.registry && s.registry !== filter.registry) return false;
  if (filter.repository && s.repository !== filter.repository) return false;
  if (filter.verdict && s.verdict !== filter.verdict) return false;
  if (filter.riskType || filter.severity)
    return i.risks.has(`${filter.riskType ?? '*'}|${filter.severity ?? '*'}`);
  return true;
}

/**
 * Evaluating every stored result is linear in the store (10,000 images: seconds, mostly parsing the stored
 * JSON), so the console's lists read a snapshot instead. A snapshot is rebuilt in the background
 * (single-flight) when the tasks changed (a task started, progressed or ended: the store may have changed),
 * the policy changed, or it is older than `maxAgeMs` (results pushed from CI or re-matched arrive without a
 * task); a page meanwhile gets the previous one, marked as refreshing. Only the very first read waits.
 */
export function createImageIndex(deps: {
  verdicts: VerdictStore;
  tasks: TaskStore;
  policy: () => Policy;
  now: () => Date;
  maxAgeMs?: number;
}): ImageIndex {
  const maxAge = deps.maxAgeMs ?? 30_000;
  let current: { snapshot: ImageSnapshot; key: string } | undefined;
  let building: Promise<void> | undefined;

  const readKey = async (): Promise<string> => {
    const recent = await deps.tasks.list({ limit: 20 });
    const tasks = recent.map((t) => `${t.id}:${t.status}:${t.progress.scanned}:${t.progress.failed}`);
    return `${policyDigest(resolvePolicy(deps.policy()))}|${tasks.join(',')}`;
  };
  const build = (key: string): Promise<void> => {
    building ??= (async () => {
      try {
        const policy = deps.policy();
        const now = deps.now();
        const images = (await deps.verdicts.list()).map((e) => toIndexedImage(e, policy, now));
        current = { snapshot: { images, builtAt: now, refreshing: false }, key };
      } finally {
        building = undefined;
      }
    })();
    return building;
  };

  return {
    async read() {
      const key = await readKey();
      if (!current) await build(key);
      const c = current as NonNullable<typeof current>;
      const old = deps.now().getTime() - c.snapshot.builtAt.getTime() > maxAge;
      if (c.key !== key || old) {
        // errors of a background build surface on the next read that has to wait; the stale snapshot stays
        build(key).catch(() => {});
        return { ...c.snapshot, refreshing: true };
      }
      return c.snapshot;
    },
  };
}
