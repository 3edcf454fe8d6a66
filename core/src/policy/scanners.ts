import type { AnalyzerOptions, ScannerName } from '../analyzers/analyzer.js';
import { resolvePolicy } from './defaults.js';
import type { Policy, ResolvedPolicy } from './types.js';

/** Scanner groups the policy switches on (`inventory` always runs: vulnerabilities and SBOMs need it). */
export function toEnabledScanners(policy: Policy | ResolvedPolicy): ScannerName[] {
  const s = resolvePolicy(policy).scanners;
  const out: ScannerName[] = ['inventory'];
  if (s.vuln) out.push('vuln');
  if (s.secret.enabled) out.push('secret');
  if (s.malware.enabled) out.push('malware');
  if (s.baseline.enabled) out.push('baseline');
  if (s.buildinstruction) out.push('buildinstruction');
  return out;
}

/** The analyzer options the policy's `scanners` section selects. */
export function toAnalyzerOptions(policy: Policy | ResolvedPolicy): AnalyzerOptions {
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
