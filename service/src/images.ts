import {
  evaluatePolicy,
  remediationFor,
  resolvePolicy,
  RISK_TYPES,
  SEVERITIES,
  PortcullisError,
  type Decision,
  type Evaluation,
  type Finding,
  type Policy,
  type ResolvedPolicy,
  type RiskType,
  type Severity,
  type StoredScan,
} from '../../core/src/index.js';

/** One row of `/api/v1/images`. */
export interface ImageSummary {
  digest: string;
  reference: string;
  /** Settings name of the policy registry the image was pulled from, when one matches its host. */
  registry?: string;
  repository: string;
  scannedAt: string;
  verdict: Decision;
  counts: { byType: Partial<Record<RiskType, number>>; bySeverity: Partial<Record<Severity, number>> };
}

/** Query of `/api/v1/images`; every field optional, all given ones must hold. */
export interface ImageFilter {
  registry?: string;
  repository?: string;
  riskType?: RiskType;
  severity?: Severity;
  verdict?: Decision;
}

/** `host[:port]` and repository path of a stored reference (`registry:` prefix, tag and digest dropped). */
export function toImageLocation(ref: string): { host: string; repository: string } {
  const bare = ref.replace(/^[a-z-]+:(?!\d)/, '').replace(/@[a-z0-9]+:[a-f0-9]+$/, '');
  const slash = bare.indexOf('/');
  const host = slash > 0 ? bare.slice(0, slash) : '';
  const repository = (slash > 0 ? bare.slice(slash + 1) : bare).replace(/:[^/:]+$/, '');
  return { host, repository };
}

/** The registry settings name whose pull host is `host` (registryHost, else the url's host). */
export function toRegistryName(policy: Policy, host: string): string | undefined {
  for (const r of policy.registries ?? []) {
    let pullHost = r.registryHost;
    if (!pullHost) {
      try {
        pullHost = new URL(r.url).host;
      } catch {
        continue;
      }
    }
    if (pullHost === host) return r.name;
  }
  return undefined;
}

/** The stored result evaluated under the current policy: findings marked, verdict decided. */
export function evaluateStored(entry: StoredScan, policy: Policy | ResolvedPolicy, now: Date) {
  return evaluatePolicy(entry.scan, policy, { now, image: { digest: entry.digest } });
}

export function toImageSummary(
  entry: StoredScan,
  policy: Policy,
  now: Date,
  evaluation: Evaluation = evaluateStored(entry, policy, now),
): ImageSummary {
  const { verdict } = evaluation;
  const { host, repository } = toImageLocation(entry.scan.image.ref);
  const registry = toRegistryName(policy, host);
  return {
    digest: entry.digest,
    reference: entry.scan.image.ref,
    ...(registry ? { registry } : {}),
    repository,
    scannedAt: entry.scannedAt,
    verdict: verdict.decision,
    counts: { byType: verdict.counts.byType, bySeverity: verdict.counts.bySeverity },
  };
}

/** Reads the filter from query parameters; USAGE_INVALID names the bad one. */
export function parseImageFilter(q: Record<string, unknown>): ImageFilter {
  const one = (k: string): string | undefined => (typeof q[k] === 'string' ? (q[k] as string) : undefined);
  const pick = <T extends string>(k: string, allowed: readonly T[]): T | undefined => {
    const v = one(k);
    if (v === undefined) return undefined;
    if (!(allowed as readonly string[]).includes(v))
      throw new PortcullisError('USAGE_INVALID', `${k} must be one of ${allowed.join(', ')}`);
    return v as T;
  };
  const registry = one('registry');
  const repository = one('repository');
  const riskType = pick('riskType', RISK_TYPES);
  const severity = pick('severity', SEVERITIES);
  const verdict = pick<Decision>('verdict', ['allow', 'warn', 'deny']);
  return {
    ...(registry ? { registry } : {}),
    ...(repository ? { repository } : {}),
    ...(riskType ? { riskType } : {}),
    ...(severity ? { severity } : {}),
    ...(verdict ? { verdict } : {}),
  };
}

/** Unsuppressed findings of the type/severity asked for exist (both optional). */
function hasFindings(findings: readonly Finding[], filter: ImageFilter): boolean {
  if (!filter.riskType && !filter.severity) return true;
  return findings.some(
    (f) =>
      !f.suppressedBy &&
      (!filter.riskType || f.type === filter.riskType) &&
      (!filter.severity || f.severity === filter.severity),
  );
}

/**
 * The summaries matching the filter, newest scan first. `entries` may be projections
 * (`VerdictStore.listProjections`): the summary reads nothing the projection drops.
 */
export function selectImages(
  entries: readonly StoredScan[],
  policy: Policy,
  filter: ImageFilter,
  now: Date,
): ImageSummary[] {
  const out: ImageSummary[] = [];
  // resolved once for the whole list (each evaluation would resolve it again)
  const resolved = resolvePolicy(policy);
  for (const e of entries) {
    const evaluation = evaluateStored(e, resolved, now);
    const summary = toImageSummary(e, policy, now, evaluation);
    if (filter.registry && summary.registry !== filter.registry) continue;
    if (filter.repository && summary.repository !== filter.repository) continue;
    if (filter.verdict && summary.verdict !== filter.verdict) continue;
    if ((filter.riskType || filter.severity) && !hasFindings(evaluation.findings, filter)) continue;
    out.push(summary);
  }
  return out.sort((a, b) => b.scannedAt.localeCompare(a.scannedAt) || a.digest.localeCompare(b.digest));
}

/** `/api/v1/images/{digest}`: the summary, every finding (evidence as stored: redacted) and the remediation. */
export function toImageDetail(entry: StoredScan, policy: Policy, now: Date) {
  const evaluation = evaluateStored(entry, policy, now);
  return {
    ...toImageSummary(entry, policy, now),
    os: entry.scan.image.os,
    packages: entry.scan.packages.length,
    // evidence is redacted by the analyzers before a result is stored (core's redact); it is shown as stored
    findings: evaluation.findings,
    notes: entry.scan.notes,
    reasons: evaluation.verdict.reasons,
    warnings: evaluation.verdict.warnings,
    remediation: remediationFor(evaluation, entry.scan),
  };
}

/** Columns `/api/v1/images` sorts by (`sort=reference`, `-scannedAt` for descending). */
export const IMAGE_SORT_KEYS = ['scannedAt', 'reference', 'verdict', 'findings'] as const;
export interface ImageSort {
  by: (typeof IMAGE_SORT_KEYS)[number];
  descending: boolean;
}

/** Reads `sort` (default `-scannedAt`: newest first); USAGE_INVALID names the allowed keys. */
export function parseImageSort(q: Record<string, unknown>): ImageSort {
  const v = typeof q.sort === 'string' && q.sort !== '' ? q.sort : '-scannedAt';
  const by = v.replace(/^-/, '');
  if (!(IMAGE_SORT_KEYS as readonly string[]).includes(by))
    throw new PortcullisError(
      'USAGE_INVALID',
      `sort must be one of ${IMAGE_SORT_KEYS.join(', ')} (- for descending)`,
    );
  return { by: by as ImageSort['by'], descending: v.startsWith('-') };
}

// references, digests and RFC 3339 times are ASCII: code-unit order is right and ~10× cheaper than localeCompare
const ordinal = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const VERDICT_RANK: Record<Decision, number> = { allow: 0, warn: 1, deny: 2 };
const total = (s: ImageSummary): number =>
  Object.values(s.counts.bySeverity).reduce((a, b) => a + (b ?? 0), 0);

/** The summaries in the order asked for; ties keep newest scan first, then digest, so pages are stable. */
export function sortImages(items: ImageSummary[], sort: ImageSort): ImageSummary[] {
  const key: Record<ImageSort['by'], (a: ImageSummary, b: ImageSummary) => number> = {
    scannedAt: (a, b) => ordinal(a.scannedAt, b.scannedAt),
    reference: (a, b) => ordinal(a.reference, b.reference),
    verdict: (a, b) => VERDICT_RANK[a.verdict] - VERDICT_RANK[b.verdict],
    findings: (a, b) => total(a) - total(b),
  };
  const cmp = key[sort.by];
  const dir = sort.descending ? -1 : 1;
  return items.sort(
    (a, b) => dir * cmp(a, b) || ordinal(b.scannedAt, a.scannedAt) || ordinal(a.digest, b.digest),
  );
}
