import {
  policyDigest,
  resolvePolicy,
  SEVERITIES,
  type Policy,
  type ResolvedPolicy,
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
  /** Tagged references recent task logs scanned this digest as (`host/repo:tag`); the store keeps digests. */
  seenAs: string[];
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

/** One image's row; `entry` may be a projection (`VerdictStore.listProjections`). */
export function toIndexedImage(
  entry: StoredScan,
  policy: Policy,
  now: Date,
  /** The policy resolved once for a whole list (each evaluation would resolve and hash it again). */
  resolved: ResolvedPolicy = resolvePolicy(policy),
): IndexedImage {
  const { findings, verdict } = evaluateStored(entry, resolved, now);
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
    seenAs: [],
  };
}

/** How many recent tasks' logs name the tags of the stored digests. */
const TAG_TASKS = 10;

/** digest → the references (with tags) the newest tasks scanned it as. */
async function readSeenAs(tasks: TaskStore): Promise<Map<string, Set<string>>> {
  const out = new Map<string, Set<string>>();
  for (const t of await tasks.list({ limit: TAG_TASKS }))
    for (const e of await tasks.readLog(t.id)) {
      if (!e.digest || e.outcome !== 'scanned' || e.reference.includes('@')) continue;
      const refs = out.get(e.digest) ?? new Set<string>();
      out.set(e.digest, refs.add(e.reference));
    }
  return out;
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
 * Evaluating every stored result is linear in the store, so the console's lists read a snapshot instead,
 * built from the stores' projections (no package inventory or evidence to parse). A snapshot is rebuilt in the background
 * (single-flight) when the tasks changed (a task started, progressed or ended: the store may have changed),
 * the policy changed, or it is older than `maxAgeMs` (results pushed from CI or re-matched arrive without a
 * task), for task changes at most every `minRebuildMs` (adaptive by default). A read waits up to `waitMs` for that rebuild (a small store is current at once), then answers with
 * the previous snapshot marked as refreshing. Only the very first read waits for the whole build.
 */
export function createImageIndex(deps: {
  verdicts: VerdictStore;
  tasks: TaskStore;
  policy: () => Policy;
  now: () => Date;
  maxAgeMs?: number;
  /** How long a read waits for a rebuild before it answers with the previous snapshot. */
  waitMs?: number;
  /**
   * Task changes rebuild at most this long after the last build ended (a running task changes with every
   * image). Default: 4× the last build's duration, so rebuilding takes at most a fifth of the time.
   */
  minRebuildMs?: number;
  /** Monotonic milliseconds for ages and throttling (evaluation time is `now`). */
  clock?: () => number;
}): ImageIndex {
  const maxAge = deps.maxAgeMs ?? 30_000;
  const waitMs = deps.waitMs ?? 300;
  const clock = deps.clock ?? (() => performance.now());
  let lastBuildMs = 0;
  let current: { snapshot: ImageSnapshot; key: string; at: number } | undefined;
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
        const resolved = resolvePolicy(policy);
        const now = deps.now();
        const started = clock();
        const entries = await deps.verdicts.listProjections();
        const images: IndexedImage[] = [];
        // evaluate in slices, yielding between them, so pages keep being answered meanwhile
        for (let i = 0; i < entries.length; i += 250) {
          for (const e of entries.slice(i, i + 250)) images.push(toIndexedImage(e, policy, now, resolved));
          await new Promise((r) => setImmediate(r));
        }
        const seenAs = await readSeenAs(deps.tasks);
        for (const i of images) i.seenAs = [...(seenAs.get(i.summary.digest) ?? [])].sort();
        const at = clock();
        lastBuildMs = at - started;
        current = { snapshot: { images, builtAt: now, refreshing: false }, key, at };
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
      const age = clock() - c.at;
      const minRebuild = deps.minRebuildMs ?? 4 * lastBuildMs;
      if (c.key !== key && age < minRebuild) return { ...c.snapshot, refreshing: true };
      if (c.key !== key || age > maxAge) {
        // errors of a background build surface on the next read that has to wait; the stale snapshot stays
        const done = build(key).then(
          () => true,
          () => false,
        );
        // a small store is rebuilt within the wait and the page is current; a large one answers now
        const fresh = await Promise.race([
          done,
          new Promise<false>((r) => setTimeout(() => r(false), waitMs)),
        ]);
        const latest = current as NonNullable<typeof current>;
        return fresh && latest.key === key ? latest.snapshot : { ...latest.snapshot, refreshing: true };
      }
      return c.snapshot;
    },
  };
}
