import { parseDuration, toHumanSpan } from '../duration.js';
import type { Finding, RiskType, Severity } from '../types/finding.js';
import { RISK_TYPES, SEVERITIES, severityRank } from '../types/finding.js';
import type { Evaluation, ScanResult, Verdict, VerdictCounts } from '../types/scan.js';
import { isTypeEnabled, resolvePolicy } from './defaults.js';
import { policyDigest } from './digest.js';
import { toImageRefParts } from './image-ref.js';
import { compileFindingMatcher, describeException, isScopeMatch, toExpiryDate } from './match.js';
import type { MatchScope } from './match.js';
import { toGateReasons } from './reasons.js';
import type { GateSeverity, Policy, ResolvedGate, ResolvedPolicy } from './types.js';
import { describeUncheckedVulns, UNCHECKED_PREFIX } from './unchecked.js';

/** Where and when a policy is evaluated. `image` overrides the scan's own reference (webhook: the pod's). */
export interface EvaluationContext {
  now: Date;
  image?: { ref?: string; digest?: string };
  /** Kubernetes namespace, for `namespaces` scopes (admission). */
  namespace?: string;
}

/** At most this many notes are repeated as warnings; the rest are counted. */
const MAX_NOTE_WARNINGS = 5;

function trips(gate: ResolvedGate, f: Finding): boolean {
  const t = gate.byType[f.type];
  return t !== 'none' && severityRank(f.severity) >= severityRank(t);
}

function isFixable(f: Finding): boolean {
  return f.package?.fixedVersion !== undefined || (f.fixedVersions?.length ?? 0) > 0;
}

function thresholdOf(gate: ResolvedGate): (t: RiskType) => GateSeverity {
  return (t) => gate.byType[t];
}

function toDay(d: Date): string {
  return d.toISOString().slice(0, 10);
}

/**
 * Applies a policy to a scan result. Pure: findings + policy + clock → findings marked with the exception that
 * suppressed them, and the verdict (decision, reasons, warnings, counts).
 */
export function evaluatePolicy(
  scan: ScanResult,
  policy: Policy | ResolvedPolicy,
  ctx: EvaluationContext,
): Evaluation {
  const resolved = resolvePolicy(policy);
  const now = ctx.now.getTime();
  const ref = ctx.image?.ref ?? scan.image.ref;
  const digest = ctx.image?.digest ?? scan.image.digest;
  const scope: MatchScope = {
    image: toImageRefParts(ref),
    ...(digest !== undefined && { digest }),
    ...(ctx.namespace !== undefined && { namespace: ctx.namespace }),
  };
  const expiryWindow = parseDuration(resolved.gates.expiryWarning, 'POLICY_INVALID');
  const entries = resolved.exceptions.map((e, index) => {
    const expiry = toExpiryDate(e);
    // An unreadable expiry (only possible when the policy skipped validation) fails closed: the entry is off.
    return {
      e,
      index,
      expiry,
      expired: e.expires !== undefined && (expiry === undefined || expiry.getTime() <= now),
    };
  });
  // Scope does not depend on the finding: decide it once per entry, then match findings against entries in scope.
  const inScope = entries
    .filter(({ e }) => isScopeMatch(e, scope))
    .map((x) => ({ ...x, matches: compileFindingMatcher(x.e) }));

  const used = new Map<number, number>();
  const expiredHits = new Map<number, number>();
  const findings = scan.findings.map((f): Finding => {
    const { suppressedBy: _ignored, ...clean } = f;
    let expiredMatch: number | undefined;
    for (const { e, index, expired, matches } of inScope) {
      if (!matches(clean)) continue;
      if (expired) {
        expiredMatch ??= index;
        continue;
      }
      used.set(index, (used.get(index) ?? 0) + 1);
      return {
        ...clean,
        suppressedBy: {
          index,
          reason: e.reason,
          ...(e.owner !== undefined && { owner: e.owner }),
          ...(e.ticket !== undefined && { ticket: e.ticket }),
          ...(e.expires !== undefined && { expires: e.expires }),
        },
      };
    }
    if (expiredMatch !== undefined) expiredHits.set(expiredMatch, (expiredHits.get(expiredMatch) ?? 0) + 1);
    return clean;
  });

  const active = findings.filter((f) => f.suppressedBy === undefined && isTypeEnabled(resolved, f.type));
  const gated = resolved.gates.fixableOnly
    ? active.filter((f) => f.type !== 'vulnerability' || isFixable(f))
    : active;
  const denyHits = gated.filter((f) => trips(resolved.gates.deny, f));
  const warnHits = gated.filter((f) => !trips(resolved.gates.deny, f) && trips(resolved.gates.warn, f));

  const denyReasons = toGateReasons(denyHits, 'deny', thresholdOf(resolved.gates.deny));
  const warnReasons = toGateReasons(warnHits, 'warn', thresholdOf(resolved.gates.warn));
  const warnings: string[] = [];
  let raiseToWarn = false;

  const builtAt = scan.db?.builtAt;
  if (builtAt !== undefined && resolved.scanners.vuln) {
    const age = now - new Date(builtAt).getTime();
    if (Number.isNaN(age)) {
      warnings.push(`vulnerability DB build time "${builtAt}" is not a valid time`);
    } else if (age > parseDuration(resolved.gates.maxDbAge, 'POLICY_INVALID')) {
      const msg = `vulnerability DB built ${builtAt} is ${toHumanSpan(age)} old (maxDbAge ${resolved.gates.maxDbAge})`;
      if (resolved.gates.staleDb === 'deny') denyReasons.push(msg);
      else {
        warnings.push(msg);
        raiseToWarn = true;
      }
    }
  }

  // An incomplete inventory hides packages from the matchers: as untrustworthy as a stale DB, same gate.
  const unchecked = resolved.scanners.vuln ? describeUncheckedVulns(scan.notes) : undefined;
  if (unchecked !== undefined) {
    if (resolved.gates.staleDb === 'deny') denyReasons.push(unchecked);
    else {
      warnings.push(unchecked);
      raiseToWarn = true;
    }
  }

  for (const { e, index, expiry } of entries) {
    const n = used.get(index);
    if (n === undefined || expiry === undefined) continue;
    const left = expiry.getTime() - now;
    if (left <= expiryWindow) {
      warnings.push(
        `exception ${describeException(e, index)} expires ${e.expires ?? toDay(expiry)} (in ${toHumanSpan(left)}); it suppresses ${n} finding${n === 1 ? '' : 's'}`,
      );
      raiseToWarn = true;
    }
  }
  for (const [index, n] of expiredHits) {
    const entry = entries[index];
    if (!entry) continue;
    warnings.push(
      `exception ${describeException(entry.e, index)} expired ${entry.e.expires ?? ''} and no longer suppresses ${n} finding${n === 1 ? '' : 's'}`,
    );
  }
  for (const note of scan.notes.slice(0, MAX_NOTE_WARNINGS)) {
    warnings.push(`note ${note.code}: ${note.message}`);
  }
  if (scan.notes.length > MAX_NOTE_WARNINGS) {
    warnings.push(`and ${scan.notes.length - MAX_NOTE_WARNINGS} more notes`);
  }

  const decision = denyReasons.length > 0 ? 'deny' : warnReasons.length > 0 || raiseToWarn ? 'warn' : 'allow';
  const reasons = [...denyReasons, ...warnReasons];
  if (decision === 'warn' && warnReasons.length === 0) {
    reasons.push(
      ...warnings.filter(
        (w) => w.startsWith('vulnerability DB') || w.startsWith(UNCHECKED_PREFIX) || / expires /.test(w),
      ),
    );
  }

  const verdict: Verdict = {
    ...(digest !== undefined && { imageDigest: digest }),
    imageRef: ref,
    decision,
    reasons,
    warnings,
    counts: toCounts(active, findings.filter((f) => f.suppressedBy !== undefined).length),
    policyDigest: policyDigest(resolved),
    ...(builtAt !== undefined && { dbBuiltAt: builtAt }),
    analyzerVersions: { ...scan.analyzers },
    scannedAt: scan.scannedAt,
    evaluatedAt: ctx.now.toISOString(),
  };
  return { findings, verdict };
}

function toCounts(active: Finding[], suppressed: number): VerdictCounts {
  const byType: Partial<Record<RiskType, number>> = {};
  const bySeverity: Partial<Record<Severity, number>> = {};
  for (const t of RISK_TYPES) {
    const n = active.filter((f) => f.type === t).length;
    if (n > 0) byType[t] = n;
  }
  for (const s of SEVERITIES) {
    const n = active.filter((f) => f.severity === s).length;
    if (n > 0) bySeverity[s] = n;
  }
  return { byType, bySeverity, suppressed };
}
