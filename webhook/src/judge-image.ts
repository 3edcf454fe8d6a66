import { isPortcullisError, parseDuration, parseReference } from '../../core/src/index.js';
import type { Finding, Severity } from '../../core/src/index.js';
import type { Evaluation } from '../../core/src/index.js';
import type { UnknownImageMode, WebhookConfig } from './config.js';
import type { Logger } from './logger.js';
import type { WebhookMetrics } from './metrics.js';
import type { PolicySnapshot } from './policy-engine.js';
import type { DigestResolver } from './resolver.js';
import type { ScanCache, TtlCache } from './scan-cache.js';
import type { ScanQueue } from './scan-queue.js';
import type { StoredScan, VerdictStore } from './store/index.js';

/** What the webhook concluded about one image. `failure` = could not decide (store, registry, deadline). */
export type ImageOutcome = 'allow' | 'warn' | 'deny' | 'failure';

export interface ImageJudgement {
  image: string;
  digest?: string;
  outcome: ImageOutcome;
  /** Why, as one readable sentence naming the image. */
  summary: string;
  /** Why, in detail: the policy's reasons (findings by type and severity, with the gate they tripped) and warnings. */
  details: string[];
  /** How the outcome came about, for metrics and logs. */
  basis: 'verdict' | 'unknown' | 'stale' | 'invalid' | 'not-found' | 'failure';
}

/** Everything judging needs; built once per app. */
export interface JudgeDeps {
  config: WebhookConfig;
  store: VerdictStore;
  resolver: DigestResolver;
  queue: ScanQueue;
  /** Hits of the store, kept a few seconds in process. */
  scanCache?: ScanCache;
  /** Judgements of stored scans, a second or two (see createTtlCache). */
  judgementCache?: TtlCache<ImageJudgement>;
  logger: Logger;
  metrics: WebhookMetrics;
}

export interface JudgeContext {
  policy: PolicySnapshot;
  namespace?: string;
  dryRun: boolean;
  now: Date;
  /** Absolute time (ms) by which the answer must be ready. */
  deadlineAt: number;
  unknown: UnknownImageMode;
}

/** Parsed references by image string: the admission hot path sees the same few images again and again. */
const parsedRefs = new Map<string, ReturnType<typeof parseReference>>();
const MAX_PARSED_REFS = 10_000;

/** `parseReference`, memoised (bounded: the memo is dropped when full). Throws as parseReference does. */
export function parseReferenceCached(image: string): ReturnType<typeof parseReference> {
  let ref = parsedRefs.get(image);
  if (!ref) {
    ref = parseReference(image);
    if (parsedRefs.size >= MAX_PARSED_REFS) parsedRefs.clear();
    parsedRefs.set(image, ref);
  }
  return ref;
}

const durations = new Map<string, number>();
/** A max-age text (`7d`) in ms, parsed once per distinct text. */
function maxAgeMs(text: string): number {
  let ms = durations.get(text);
  if (ms === undefined) {
    // A bad maxVerdictAge is a configuration problem of this webhook (config file or its policy).
    ms = parseDuration(text, 'WEBHOOK_CONFIG_INVALID');
    if (durations.size < 100) durations.set(text, ms);
  }
  return ms;
}

const scannedAtMs = new WeakMap<StoredScan, number>();
/** How old a stored scan is at `now` (its time parsed once per stored entry). */
function ageOf(s: StoredScan, now: Date): number {
  let at = scannedAtMs.get(s);
  if (at === undefined) {
    at = Date.parse(s.scannedAt);
    scannedAtMs.set(s, at);
  }
  return now.getTime() - at;
}

/** The judgement cache's key: everything a judgement depends on besides the clock. */
function judgementKey(
  ctx: JudgeContext,
  digest: string,
  ref: ReturnType<typeof parseReference>,
  stored: StoredScan,
  image: string,
): string {
  return `${ctx.policy.digest}|${digest}|${ref.toString()}|${ctx.namespace ?? ''}|${stored.scannedAt}|${image}`;
}

/**
 * The cached path of `judgeImage`, synchronous: a digest (in the reference, or in the resolver's cache), a fresh
 * scan in the scan cache and a judgement of it under this policy in the judgement cache. No promise, no timer:
 * most admissions of a busy cluster end here. Undefined when any of it is missing (then `judgeImage` decides).
 */
export function judgeFromCache(
  image: string,
  ctx: JudgeContext,
  deps: JudgeDeps,
): ImageJudgement | undefined {
  if (!deps.scanCache || !deps.judgementCache) return undefined;
  let ref;
  try {
    ref = parseReferenceCached(image);
  } catch {
    return undefined;
  }
  const digest = ref.digest ?? deps.resolver.peekDigest?.(ref.toString());
  if (!digest) return undefined;
  const stored = deps.scanCache.get(digest);
  if (!stored) return undefined;
  if (ageOf(stored, ctx.now) > maxAgeMs(deps.config.maxVerdictAge ?? ctx.policy.admission.maxVerdictAge)) {
    return undefined;
  }
  return deps.judgementCache.get(judgementKey(ctx, digest, ref, stored, image));
}

/** Resolves when `p` does, or rejects with `timeoutError` after `ms`. */
export function withTimeout<T>(p: Promise<T>, ms: number, timeoutError: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, rej) => {
    timer = setTimeout(() => rej(timeoutError()), Math.max(0, ms));
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

const short = (digest: string): string => digest.slice(0, 19);
/** `nginx:1.25 (sha256:0720cff0902d)`; a reference that carries its digest is shown as is. */
const label = (image: string, digest: string): string =>
  image.includes('@') ? image : `${image} (${short(digest)})`;
const SEV_ORDER: Severity[] = ['critical', 'high', 'medium', 'low', 'unknown'];

function findingLine(f: Finding): string {
  const where = f.location.path ?? f.location.source ?? '';
  const pkg = f.package ? ` ${f.package.name}@${f.package.version}` : '';
  return `${f.id} ${f.severity}${pkg}${where ? ` ${where}` : ''}`.trim();
}

/** Active (unsuppressed) findings, most severe first. */
export function activeFindings(ev: Evaluation): Finding[] {
  return ev.findings
    .filter((f) => !f.suppressedBy)
    .sort((a, b) => SEV_ORDER.indexOf(a.severity) - SEV_ORDER.indexOf(b.severity));
}

/**
 * A warning the details already say: a stale DB is both a warning and, on a warn verdict, its reason; a note
 * (`note DB_NOT_FOUND: …`) may be quoted by a gate reason. Each is shown once.
 */
function isRepeated(warning: string, details: string[]): boolean {
  const text = warning.replace(/^note [A-Z0-9_]+: /, '');
  return details.some((d) => d === warning || d.includes(text));
}

function fromEvaluation(image: string, digest: string, ev: Evaluation, note = ''): ImageJudgement {
  const v = ev.verdict;
  const verb = v.decision === 'deny' ? 'denied' : v.decision === 'warn' ? 'allowed with warnings' : 'allowed';
  // The policy's reasons already name the findings, grouped by type and severity, with the gate they tripped.
  const details = v.reasons.length > 0 ? v.reasons : activeFindings(ev).slice(0, 5).map(findingLine);
  return {
    image,
    digest,
    outcome: v.decision,
    summary: `image ${label(image, digest)} ${verb}${note}`,
    details: v.decision === 'allow' ? [] : [...details, ...v.warnings.filter((w) => !isRepeated(w, details))],
    basis: 'verdict',
  };
}

/** Judges one image: digest, stored findings, current policy, freshness, unknown-image mode. Never throws. */
export async function judgeImage(image: string, ctx: JudgeContext, deps: JudgeDeps): Promise<ImageJudgement> {
  const { config, logger, metrics } = deps;
  let ref;
  try {
    ref = parseReferenceCached(image);
  } catch (err) {
    return { image, outcome: 'deny', summary: (err as Error).message, details: [], basis: 'invalid' };
  }
  const remaining = (): number => ctx.deadlineAt - Date.now();

  let digest: string;
  try {
    digest =
      ref.digest ??
      (await withTimeout(
        deps.resolver.resolveDigest(image),
        Math.min(config.registryTimeoutMs, remaining()),
        () =>
          new Error(`registry did not answer within ${Math.min(config.registryTimeoutMs, remaining())} ms`),
      ));
  } catch (err) {
    if (isPortcullisError(err) && err.code === 'REGISTRY_NOT_FOUND')
      return {
        image,
        outcome: 'deny',
        summary: `image ${image} not found in its registry`,
        details: [],
        basis: 'not-found',
      };
    logger.warn('digest resolution failed', { image, error: err });
    return {
      image,
      outcome: 'failure',
      summary: `could not resolve ${image} to a digest: ${(err as Error).message}`,
      details: [],
      basis: 'failure',
    };
  }

  const maxAgeText = config.maxVerdictAge ?? ctx.policy.admission.maxVerdictAge;
  const maxAge = maxAgeMs(maxAgeText);
  let stored: StoredScan | undefined = deps.scanCache?.get(digest);
  // A cached scan that went stale is re-read: the store may hold a rescan by now.
  if (stored && ageOf(stored, ctx.now) > maxAge) stored = undefined;
  if (!stored) {
    try {
      stored = await withTimeout(
        deps.store.get(digest),
        Math.min(config.storeTimeoutMs, remaining()),
        () => new Error(`verdict store did not answer within ${config.storeTimeoutMs} ms`),
      );
    } catch (err) {
      metrics.storeErrors.inc({ op: 'get' });
      logger.error('verdict store lookup failed', { image, digest, error: err });
      return {
        image,
        digest,
        outcome: 'failure',
        summary: `could not check ${label(image, digest)}: verdict store unavailable (${(err as Error).message})`,
        details: [],
        basis: 'failure',
      };
    }
    if (stored && !(ageOf(stored, ctx.now) > maxAge)) deps.scanCache?.set(stored);
  }

  const evalCtx = { now: ctx.now, image: { ref: ref.toString(), digest }, namespace: ctx.namespace };
  let staleNote = '';
  if (stored) {
    const age = ageOf(stored, ctx.now);
    if (!(age > maxAge)) {
      const key = judgementKey(ctx, digest, ref, stored, image);
      const hit = deps.judgementCache?.get(key);
      if (hit) return hit;
      const j = fromEvaluation(image, digest, ctx.policy.evaluate(stored.scan, evalCtx));
      deps.judgementCache?.set(key, j);
      return j;
    }
    staleNote = `the stored scan is ${Math.round(age / 3_600_000)}h old (max ${maxAgeText})`;
  }
  return judgeUnknown(image, digest, ctx, deps, evalCtx, staleNote);
}

async function judgeUnknown(
  image: string,
  digest: string,
  ctx: JudgeContext,
  deps: JudgeDeps,
  evalCtx: Parameters<PolicySnapshot['evaluate']>[1],
  staleNote: string,
): Promise<ImageJudgement> {
  const basis = staleNote ? 'stale' : 'unknown';
  const what = staleNote
    ? `${label(image, digest)}: ${staleNote}`
    : `${label(image, digest)} has not been scanned yet`;
  const answer = (outcome: ImageOutcome, summary: string): ImageJudgement => ({
    image,
    digest,
    outcome,
    summary: `${what}${summary}`,
    details: [],
    basis,
  });
  // Without a scan to wait for, allow-and-scan warns and every other mode denies.
  const noWait: ImageOutcome = ctx.unknown === 'allow-and-scan' ? 'warn' : 'deny';
  if (ctx.dryRun) return answer(noWait, ' (dry run: no scan queued)');
  let queued: Promise<StoredScan>;
  try {
    queued = deps.queue.enqueue(image.includes('@') ? image : `${image}@${digest}`, digest);
  } catch (err) {
    deps.logger.warn('scan not queued', { image, digest, error: err });
    return answer(noWait, `; no scan could be queued (${(err as Error).message})`);
  }
  if (ctx.unknown === 'allow-and-scan') return answer('warn', '; allowed, a scan was queued');
  if (ctx.unknown === 'deny') return answer('deny', '; a scan was queued, retry in a few minutes');
  // `scan`: wait for the scan, within the budget and leaving time to answer.
  const budget = Math.min(deps.config.scanBudgetMs, ctx.deadlineAt - Date.now() - 50);
  try {
    const entry = await withTimeout(queued, budget, () => new Error('budget'));
    return fromEvaluation(image, digest, ctx.policy.evaluate(entry.scan, evalCtx), ' (scanned at admission)');
  } catch (err) {
    const msg = (err as Error).message;
    if (msg === 'budget')
      return answer(
        'deny',
        `; its scan did not finish within ${Math.max(0, budget)} ms and continues in the background; retry shortly`,
      );
    deps.logger.warn('admission-time scan failed', { image, digest, error: err });
    return answer('deny', `; scanning it failed: ${msg}`);
  }
}
