import type { AdmissionMode } from './config.js';
import { evaluateBreakGlass, type BreakGlass } from './break-glass.js';
import { imagesToJudge, isPodCarrier, metadataValue, objectMetadata, type PodImage } from './images.js';
import {
  judgeFromCache,
  judgeImage,
  withTimeout,
  type ImageJudgement,
  type JudgeDeps,
} from './judge-image.js';
import type { PolicyEngine, PolicySnapshot } from './policy-engine.js';
import type { AdmissionRequest } from './review.js';
import type { TtlCache } from './scan-cache.js';

/** Why the answer is what it is (metrics label and log field). */
export type DecisionBasis =
  | 'not-applicable'
  | 'exempt-namespace'
  | 'exempt-label'
  | 'no-new-images'
  | 'verdict'
  | 'unknown'
  | 'failure'
  | 'break-glass';

/** The webhook's answer to one admission request, before it is written as an AdmissionReview. */
export interface AdmissionDecision {
  allowed: boolean;
  /** What the policy concluded, before the mode was applied: `deny` in warn mode is still `deny` here. */
  result: 'allow' | 'warn' | 'deny';
  mode: AdmissionMode;
  basis: DecisionBasis;
  /** Deny message (enforce), readable: which image, which findings, why. */
  message?: string;
  code?: number;
  warnings: string[];
  auditAnnotations: Record<string, string>;
  images: ImageJudgement[];
  breakGlass?: BreakGlass;
  policyDigest: string;
}

export interface DecideDeps extends JudgeDeps {
  policy: PolicyEngine;
  now: () => Date;
  /**
   * Whole decisions reached from stored verdicts, by policy, mode, namespace and the images judged (the app keeps
   * them `decisionCacheTtlMs`, never longer than the scan cache keeps the scans they came from). Requests with a
   * break-glass annotation, failures and unknown images are never cached.
   */
  decisionCache?: TtlCache<AdmissionDecision>;
}

const MAX_DETAILS_PER_IMAGE = 5;

/**
 * Decides one admission request: exemptions, the images to judge, each judged against the stored findings
 * and the current policy, then the mode, break-glass and failure mode. Always answers by the deadline; a
 * failure to decide is never a silent allow.
 */
export async function decideAdmission(
  req: AdmissionRequest,
  deps: DecideDeps,
  opts: { deadlineMs?: number } = {},
): Promise<AdmissionDecision> {
  return decideAdmissionEager(req, deps, opts);
}

/** Namespaces exempt under this config and policy, built once per policy version (not once per admission). */
const exemptSets = new WeakMap<PolicySnapshot, { config: DecideDeps['config']; set: Set<string> }>();
function exemptNamespaces(config: DecideDeps['config'], policy: PolicySnapshot): Set<string> {
  let e = exemptSets.get(policy);
  if (!e || e.config !== config) {
    e = {
      config,
      set: new Set([...config.exemptNamespaces, ...policy.admission.exemptNamespaces, config.namespace]),
    };
    exemptSets.set(policy, e);
  }
  return e.set;
}

/**
 * `decideAdmission` without the promise when it is not needed: a decision reached from caches alone (exempt,
 * nothing to judge, the same pod decided a moment ago, every image's judgement cached) is returned as it is;
 * only a decision that waits for the store, a registry or a scan is a promise. Most admissions of a busy
 * cluster are the former, and a promise (plus the microtask that settles it) is a sizeable part of their cost.
 */
export function decideAdmissionEager(
  req: AdmissionRequest,
  deps: DecideDeps,
  opts: { deadlineMs?: number } = {},
): AdmissionDecision | Promise<AdmissionDecision> {
  const { config, logger } = deps;
  const policy = deps.policy.current();
  const ns = req.namespace;
  const mode: AdmissionMode =
    (ns !== undefined ? config.namespaceModes[ns] : undefined) ?? config.mode ?? policy.admission.mode;
  const allow = (basis: DecisionBasis): AdmissionDecision => ({
    mode,
    warnings: [],
    images: [],
    policyDigest: policy.digest,
    allowed: true,
    result: 'allow',
    basis,
    auditAnnotations: { decision: 'allow', basis },
  });

  if (!isPodCarrier(req.kind.group, req.kind.kind)) return allow('not-applicable');
  if (ns !== undefined && exemptNamespaces(config, policy).has(ns)) return allow('exempt-namespace');
  const labelRules = Object.entries(config.exemptLabels);
  if (labelRules.length > 0 && labelRules.every(([k, v]) => metadataValue(req.object, 'labels', k) === v)) {
    logger.info('exempt by label', {
      uid: req.uid,
      namespace: ns,
      name: req.name,
      labels: config.exemptLabels,
    });
    return allow('exempt-label');
  }
  const images = dedupe(imagesToJudge(req));
  if (images.length === 0) return allow('no-new-images');

  // The same pod admitted again (replicas, restarts, dry runs) gets the same answer without judging again.
  const breakGlassValue = metadataValue(req.object, 'annotations', config.breakGlass.annotation);
  const answerKey =
    deps.decisionCache && breakGlassValue === undefined
      ? `${policy.digest}\u0000${mode}\u0000${ns ?? ''}\u0000${req.dryRun}\u0000${images.map((i) => i.image).join('\u0000')}`
      : undefined;
  const hit = answerKey !== undefined ? deps.decisionCache?.get(answerKey) : undefined;
  if (hit) return hit;

  const deadlineMs = Math.min(config.deadlineMs, opts.deadlineMs ?? Infinity);
  const deadlineAt = Date.now() + deadlineMs;
  const now = deps.now();
  const ctx = {
    policy,
    ...(ns !== undefined ? { namespace: ns } : {}),
    dryRun: req.dryRun,
    now,
    deadlineAt,
    unknown: config.unknown ?? policy.admission.unknown,
  };
  const state = { mode, ns, now, policy, meta: objectMetadata(req.object) };
  const finish = (judgements: ImageJudgement[]): AdmissionDecision => {
    const decision = finishDecision(req, deps, { ...state, judgements });
    if (answerKey !== undefined && judgements.every((j) => j.basis === 'verdict')) {
      deps.decisionCache?.set(answerKey, decision);
    }
    return decision;
  };
  // Cached judgements first, synchronously; only the images without one pay for promises and timers.
  const cached = images.map((img) => judgeFromCache(img.image, ctx, deps));
  if (cached.every((j) => j !== undefined)) return finish(cached);
  return judgeUncached(images, cached, ctx, deps, deadlineAt, deadlineMs).then(finish);
}

async function judgeUncached(
  images: PodImage[],
  cached: (ImageJudgement | undefined)[],
  ctx: Parameters<typeof judgeImage>[1],
  deps: DecideDeps,
  deadlineAt: number,
  deadlineMs: number,
): Promise<ImageJudgement[]> {
  return Promise.all(
    images.map(
      (img, i) =>
        cached[i] ??
        withTimeout(
          judgeImage(img.image, ctx, deps),
          deadlineAt - Date.now(),
          () => new Error('deadline'),
        ).catch((err: unknown): ImageJudgement => ({
          image: img.image,
          outcome: 'failure',
          summary: `could not decide on ${img.image} within ${deadlineMs} ms (${(err as Error).message})`,
          details: [],
          basis: 'failure',
        })),
    ),
  );
}

/** What `decideAdmission` settled before judging, handed to `finishDecision`. */
interface DecisionState {
  mode: AdmissionMode;
  meta: ReturnType<typeof objectMetadata>;
  ns: string | undefined;
  now: Date;
  policy: ReturnType<PolicyEngine['current']>;
  judgements: ImageJudgement[];
}

/** From the images' judgements to the answer: failure mode, break-glass, mode, messages. */
function finishDecision(req: AdmissionRequest, deps: DecideDeps, state: DecisionState): AdmissionDecision {
  const { config, logger } = deps;
  const { mode, meta, ns, now, policy, judgements } = state;
  const failures = judgements.filter((j) => j.outcome === 'failure');
  const denies = judgements.filter((j) => j.outcome === 'deny');
  const warns = judgements.filter((j) => j.outcome === 'warn');
  // A failure counts as a deny when failing closed; failing open it is an allow that says so, never silent.
  const blocking = config.failureMode === 'closed' ? [...denies, ...failures] : denies;
  const result: AdmissionDecision['result'] =
    blocking.length > 0 ? 'deny' : warns.length > 0 || failures.length > 0 ? 'warn' : 'allow';
  const basis: DecisionBasis =
    failures.length > 0
      ? 'failure'
      : judgements.some((j) => j.basis !== 'verdict' && j.outcome !== 'allow')
        ? 'unknown'
        : 'verdict';
  const auditAnnotations: Record<string, string> = {
    decision: result,
    mode,
    'policy-digest': policy.digest,
    images: judgements
      .map((j) => `${j.image}${j.digest && !j.image.includes('@') ? `@${j.digest}` : ''}=${j.outcome}`)
      .join(',')
      .slice(0, 2000),
  };

  const breakGlass = evaluateBreakGlass(meta.annotations[config.breakGlass.annotation], {
    ...(ns !== undefined ? { namespace: ns } : {}),
    allowedNamespaces: config.breakGlass.namespaces,
    maxDurationHours: config.breakGlass.maxDurationHours,
    now,
  });
  if (breakGlass.status !== 'absent')
    logger.warn(`break-glass ${breakGlass.status}`, {
      uid: req.uid,
      namespace: ns,
      name: req.name,
      user: req.userInfo?.username,
      ...breakGlass,
      wouldBe: result,
      images: judgements.map((j) => ({ image: j.image, digest: j.digest, outcome: j.outcome })),
    });

  const out: AdmissionDecision = {
    mode,
    warnings: [],
    policyDigest: policy.digest,
    allowed: true,
    result,
    basis,
    images: judgements,
    auditAnnotations,
    ...(breakGlass.status !== 'absent' ? { breakGlass } : {}),
  };
  const problemLines = [...blocking, ...warns, ...(config.failureMode === 'open' ? failures : [])];
  if (result === 'allow') return out;

  if (result === 'deny' && breakGlass.status === 'honoured') {
    out.basis = 'break-glass';
    out.auditAnnotations['break-glass'] = `${breakGlass.ticket} until ${breakGlass.expires}`;
    out.warnings = [
      `portcullis: break-glass ${breakGlass.ticket} honoured until ${breakGlass.expires}; this admission is logged`,
      ...toWarningLines(problemLines),
    ];
    return out;
  }
  const refusedNote =
    breakGlass.status === 'refused' ? ` (break-glass annotation ignored: ${breakGlass.why})` : '';
  if (result === 'deny' && mode === 'enforce') {
    out.allowed = false;
    out.code = failures.length > 0 && denies.length === 0 ? 503 : 403;
    out.message = toDenyMessage(blocking) + refusedNote;
    if (warns.length > 0) out.warnings = toWarningLines(warns);
    return out;
  }
  if (mode === 'audit') return out;
  out.warnings = toWarningLines(
    problemLines,
    mode === 'warn' && result === 'deny' ? ' (warn mode, not blocked)' : '',
  );
  if (refusedNote) out.warnings.push(`portcullis:${refusedNote}`);
  return out;
}

function dedupe(images: PodImage[]): PodImage[] {
  const seen = new Set<string>();
  return images.filter((i) => (seen.has(i.image) ? false : (seen.add(i.image), true)));
}

/** The deny message: one part per image, its summary and the policy's reasons. */
export function toDenyMessage(judgements: ImageJudgement[]): string {
  const parts = judgements.map((j) => {
    const more =
      j.details.length > MAX_DETAILS_PER_IMAGE
        ? `; … and ${j.details.length - MAX_DETAILS_PER_IMAGE} more`
        : '';
    return j.details.length > 0
      ? `${j.summary}: ${j.details.slice(0, MAX_DETAILS_PER_IMAGE).join('; ')}${more}`
      : j.summary;
  });
  return `portcullis: ${parts.join(' | ')}`.slice(0, 4000);
}

/** `127.0.0.1:5000/fixtures/debian@sha256:…` → `debian@sha256:0720cff0902d`: warnings must stay under 120 chars. */
function toShortImage(image: string): string {
  const last = image.slice(image.lastIndexOf('/') + 1);
  const at = last.indexOf('@');
  return at >= 0 ? last.slice(0, at + 20) : last;
}

/** Warning lines (each cut to 120 chars by toWarnings): a short summary per image, then its reasons. */
function toWarningLines(judgements: ImageJudgement[], suffix = ''): string[] {
  const lines: string[] = [];
  for (const j of judgements) {
    const short = toShortImage(j.image);
    let summary = j.summary.replace(j.image, short).replace(/^image /, '');
    if (suffix) summary = summary.replace(/ denied\b/, ' would be denied');
    lines.push(`portcullis${suffix}: ${summary}`);
    for (const d of j.details.slice(0, MAX_DETAILS_PER_IMAGE)) lines.push(`portcullis: ${d}`);
  }
  return lines;
}
