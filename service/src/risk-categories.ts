import type { Finding } from '../../core/src/index.js';

/**
 * The console's risk categories: the policy's `vulnerability` type split by where the package comes from (the
 * OS package manager or an application's), then the other risk types as they are.
 */
export const RISK_CATEGORIES = [
  'system-vulnerability',
  'application-vulnerability',
  'sensitive-file',
  'malicious-sample',
  'baseline',
  'build-instruction',
] as const;
export type RiskCategory = (typeof RISK_CATEGORIES)[number];

const OS_PURL = /^pkg:(deb|apk|rpm|alpm)\//;

export function toRiskCategory(f: Finding): RiskCategory {
  if (f.type !== 'vulnerability') return f.type;
  return f.package && OS_PURL.test(f.package.purl) ? 'system-vulnerability' : 'application-vulnerability';
}
