import { RISK_TYPES } from '../types/finding.js';
import type { RiskType } from '../types/finding.js';
import type { GateRule, GateSeverity, Policy, ResolvedGate, ResolvedPolicy } from './types.js';

/**
 * The embedded default policy: every scanner on, deny ≥ high and warn ≥ medium for every risk type,
 * vulnerability DB at most 7 days old (no DB at all denies), admission enforcing with unknown images denied.
 */
export const DEFAULT_POLICY: Readonly<Policy> = deepFreeze({
  apiVersion: 'portcullis/v1',
  scanners: { vuln: true, secret: true, malware: true, baseline: true, buildinstruction: true },
  gates: {
    deny: { severity: 'high' },
    warn: { severity: 'medium' },
    fixableOnly: false,
    maxDbAge: '7d',
    staleDb: 'warn',
    missingDb: 'deny',
    expiryWarning: '14d',
  },
  exceptions: [],
  admission: { mode: 'enforce', unknown: 'deny', exemptNamespaces: ['kube-system'], maxVerdictAge: '24h' },
} satisfies Policy);

/** Frozen all the way down: the default is shared by every caller and must not drift. */
function deepFreeze<T extends object>(o: T): T {
  for (const v of Object.values(o)) if (typeof v === 'object' && v !== null) deepFreeze(v as object);
  return Object.freeze(o);
}

export const DEFAULT_DENY_SEVERITY: GateSeverity = 'high';
export const DEFAULT_WARN_SEVERITY: GateSeverity = 'medium';
export const DEFAULT_MAX_DB_AGE = '7d';
export const DEFAULT_EXPIRY_WARNING = '14d';
export const DEFAULT_MAX_VERDICT_AGE = '24h';

function resolveGate(rule: GateRule | undefined, fallback: GateSeverity): ResolvedGate {
  const base = rule?.severity ?? fallback;
  const types = new Set<RiskType>(rule?.types ?? RISK_TYPES);
  const byType = {} as Record<RiskType, GateSeverity>;
  for (const t of RISK_TYPES) {
    byType[t] = rule?.severityByType?.[t] ?? (types.has(t) ? base : 'none');
  }
  return { byType };
}

function toggle<T extends object>(
  value: boolean | (T & { enabled?: boolean }) | undefined,
): { enabled: boolean } & Omit<T, 'enabled'> {
  if (value === undefined || typeof value === 'boolean') {
    return { enabled: value ?? true } as { enabled: boolean } & Omit<T, 'enabled'>;
  }
  return { ...value, enabled: value.enabled ?? true };
}

/** Fills in every default, so evaluation and the webhook never look at optional fields. */
export function resolvePolicy(policy: Policy | ResolvedPolicy = DEFAULT_POLICY): ResolvedPolicy {
  if (isResolvedPolicy(policy)) return policy;
  const s = policy.scanners ?? {};
  const secret = toggle(s.secret);
  const g = policy.gates ?? {};
  const a = policy.admission ?? {};
  return {
    apiVersion: 'portcullis/v1',
    scanners: {
      vuln: s.vuln ?? true,
      secret: {
        ...secret,
        accessKeyLeak: secret.accessKeyLeak ?? true,
        passwordLeak: secret.passwordLeak ?? true,
      },
      malware: toggle(s.malware),
      baseline: toggle(s.baseline),
      buildinstruction: s.buildinstruction ?? true,
    },
    gates: {
      deny: resolveGate(g.deny, DEFAULT_DENY_SEVERITY),
      warn: resolveGate(g.warn, DEFAULT_WARN_SEVERITY),
      fixableOnly: g.fixableOnly ?? false,
      maxDbAge: g.maxDbAge ?? DEFAULT_MAX_DB_AGE,
      staleDb: g.staleDb ?? 'warn',
      // fail closed: a scan that checked no vulnerabilities is not admitted unless the policy says so
      missingDb: g.missingDb ?? 'deny',
      expiryWarning: g.expiryWarning ?? DEFAULT_EXPIRY_WARNING,
    },
    exceptions: [...(policy.exceptions ?? [])],
    admission: {
      mode: a.mode ?? 'enforce',
      unknown: a.unknown ?? 'deny',
      exemptNamespaces: [...(a.exemptNamespaces ?? ['kube-system'])],
      maxVerdictAge: a.maxVerdictAge ?? DEFAULT_MAX_VERDICT_AGE,
    },
  };
}

/** True for a value already produced by `resolvePolicy` (its gates carry per-type thresholds). */
export function isResolvedPolicy(p: Policy | ResolvedPolicy): p is ResolvedPolicy {
  const deny = (p.gates as { deny?: unknown } | undefined)?.deny;
  return typeof deny === 'object' && deny !== null && 'byType' in deny;
}

/** Whether findings of a risk type are produced (and gated) under this policy. */
export function isTypeEnabled(policy: ResolvedPolicy, type: RiskType): boolean {
  const s = policy.scanners;
  switch (type) {
    case 'vulnerability':
      return s.vuln;
    case 'sensitive-file':
      return s.secret.enabled;
    case 'malicious-sample':
      return s.malware.enabled;
    case 'baseline':
      return s.baseline.enabled;
    case 'build-instruction':
      return s.buildinstruction;
  }
}
