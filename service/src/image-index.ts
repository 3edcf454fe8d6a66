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
import { evaluateStored, toImageSummary, type ImageFilter, type ImageSummary } from './images.js';
import type { Logger } from './logger.js';
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
  /**
   * True while a newer snapshot is being built (the page says its data may be a little behind), and always for
   * a snapshot saved by an earlier process until this one's first build replaces it.
   */
  refreshing: boolean;
}

/** The store's name for the saved snapshot (`VerdictStore.saveSnapshot`). */
export const IMAGE_SNAPSHOT_NAME = 'console-image-index';
const SNAPSHOT_VERSION = 1;

/** A built snapshot as saved: the evaluated rows, the policy digest they were evaluated under, and when. */
export function toSavedImageSnapshot(images: IndexedImage[], policyDigest: string, builtAt: Date): string {
  return JSON.stringify({
    version: SNAPSHOT_VERSION,
    policyDigest,
    builtAt: builtAt.toISOString(),
    images: images.map((i) => ({ ...i, risks: [...i.risks] })),
  });
}

/**
 * A saved snapshot's rows and build time when it was evaluated under `policyDigest`; undefined when it was
 * evaluated under another policy (its verdicts would be wrong), is of another format version, or is corrupt.
 */
export function parseSavedImageSnapshot(
  body: string,
  policyDigest: string,
): { images: IndexedImage[]; builtAt: Date } | undefined {
  try {
    const v = JSON.parse(body) as {
      version?: unknown;
      policyDigest?: unknown;
      builtAt?: unknown;
      images?: unknown;
    };
    if (v.version !== SNAPSHOT_VERSION || v.policyDigest !== policyDigest) return undefined;
    const builtAt = new Date(typeof v.builtAt === 'string' ? v.builtAt : NaN);
    if (Number.isNaN(builtAt.getTime()) || !Array.isArray(v.images)) return undefined;
    const images = (v.images as (Omit<IndexedImage, 'risks'> & { risks: unknown })[]).map((i) => {
      if (!i?.summary || typeof i.summary.digest !== 'string' || !Array.isArray(i.risks) || !i.findings)
        throw new Error('not an indexed image');
      return { ...i, risks: new Set(i.risks as string[]), seenAs: Array.isArray(i.seenAs) ? i.seenAs : [] };
    });
    return { images, builtAt };
  } catch {
    // a corrupt snapshot is no snapshot: the first build answers instead
    return undefined;
  }
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
  const evaluation = evaluateStored(entry, resolved, now);
  const counts = Object.fromEntries(RISK_CATEGORIES.map((c) => [c, zero()])) as IndexedImage['findings'];
  const risks = new Set<string>();
  for (const f of evaluation.findings) {
    if (f.suppressedBy) continue;
    counts[toRiskCategory(f)][f.severity]++;
    risks.add(`${f.type}|${f.severity}`).add(`${f.type}|*`).add(`*|${f.severity}`);
  }
  return {
    summary: toImageSummary(entry, policy, now, evaluation),
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
 * the previous snapshot marked as refreshing. After each build the snapshot is saved in the verdict store; a
 * restarted process serves the saved one at once (marked refreshing, with its own build time) when it was
 * evaluated under the same policy digest, while its first build runs in the background and replaces it. Only
 * the very first read of a store with no usable saved snapshot waits for the whole build.
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
  /** Where a snapshot that could not be saved or read is reported (the index works on without it). */
  logger?: Pick<Logger, 'warn'>;
}): ImageIndex {
  const maxAge = deps.maxAgeMs ?? 30_000;
  const waitMs = deps.waitMs ?? 300;
  const clock = deps.clock ?? (() => performance.now());
  let lastBuildMs = 0;
  // `saved`: loaded from the store, not built by this process (never current, whatever the key)
  let current: { snapshot: ImageSnapshot; key: string; at: number; saved?: true } | undefined;
  let building: Promise<void> | undefined;
  let loading: Promise<void> | undefined;

  const loadSaved = (digest: string): Promise<void> =>
    (loading ??= (async () => {
      try {
        const saved = await deps.verdicts.readSnapshot(IMAGE_SNAPSHOT_NAME);
        const parsed = saved && parseSavedImageSnapshot(saved.body, digest);
        // a build that ended meanwhile is newer than anything saved
        if (parsed && !current)
          current = { snapshot: { ...parsed, refreshing: true }, key: '', at: clock(), saved: true };
      } catch (error) {
        deps.logger?.warn('console: saved image index not read', { error });
      }
    })());

  const readKey = async (): Promise<string> => {
    const recent = await deps.tasks.list({ limit: 20 });
    const tasks = recent.map((t) => `${t.id}:${t.status}:${t.progress.scanned}:${t.progress.failed}`);
    return `${policyDigest(resolvePolicy(deps.policy()))}|${tasks.join(',')}`;
  };
  const save = (images: IndexedImage[], resolved: ResolvedPolicy, builtAt: Date): void => {
    // the digest of the policy the rows were evaluated under; saving is best effort (the next build saves again)
    const body = toSavedImageSnapshot(images, policyDigest(resolved), builtAt);
    deps.verdicts
      .saveSnapshot(IMAGE_SNAPSHOT_NAME, body)
      .catch((error: unknown) => deps.logger?.warn('console: image index not saved', { error }));
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
        save(images, resolved, now);
      } finally {
        building = undefined;
      }
    })();
    return building;
  };

  return {
    async read() {
      const key = await readKey();
      if (!current) await loadSaved(key.slice(0, key.indexOf('|')));
      if (current?.saved) {
        // serve the saved snapshot at once; this process's first build replaces it
        build(key).catch((error: unknown) =>
          deps.logger?.warn('console: image index build failed', { error }),
        );
        return current.snapshot;
      }
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
