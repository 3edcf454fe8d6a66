import { resolvePolicy } from './defaults.js';
import type { Policy, ResolvedPolicy } from './types.js';

/** Scanner groups (same names as the analyzers' `ScannerName`; policy may not import analyzers). */
export type PolicyScannerName = 'inventory' | 'vuln' | 'secret' | 'malware' | 'baseline' | 'buildinstruction';

/** Analyzer options selected by the policy; structurally the analyzers' `AnalyzerOptions`. */
export interface PolicyAnalyzerOptions {
  secret: { accessKeyLeak: boolean; passwordLeak: boolean; items?: string[] };
  baseline: { checks?: string[] };
  malware: { hashDbFiles?: string[] };
}

/** Scanner groups the policy switches on (`inventory` always runs: vulnerabilities and SBOMs need it). */
export function toEnabledScanners(policy: Policy | ResolvedPolicy): PolicyScannerName[] {
  const s = resolvePolicy(policy).scanners;
  const out: PolicyScannerName[] = ['inventory'];
  if (s.vuln) out.push('vuln');
  if (s.secret.enabled) out.push('secret');
  if (s.malware.enabled) out.push('malware');
  if (s.baseline.enabled) out.push('baseline');
  if (s.buildinstruction) out.push('buildinstruction');
  return out;
}

/** The analyzer options the policy's `scanners` section selects. */
export function toAnalyzerOptions(policy: Policy | ResolvedPolicy): PolicyAnalyzerOptions {
  const s = resolvePolicy(policy).scanners;
  return {
    secret: {
      accessKeyLeak: s.secret.accessKeyLeak,
      passwordLeak: s.secret.passwordLeak,
      ...(s.secret.items && { items: [...s.secret.items] }),
    },
    baseline: { ...(s.baseline.checks && { checks: [...s.baseline.checks] }) },
    malware: { ...(s.malware.hashDbFiles && { hashDbFiles: [...s.malware.hashDbFiles] }) },
  };
}
