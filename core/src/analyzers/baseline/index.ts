export {
  baselineAnalyzer,
  evaluateBaseline,
  evaluateConfigChecks,
  isBaselineRequired,
  isRootUser,
  MAX_FINDINGS_PER_CHECK,
} from './analyzer.js';
export { BASELINE_CHECKS, BASELINE_RULES, resolveBaselineChecks } from './checks.js';
export type { BaselineCheck, BaselineCheckName, BaselineRule } from './checks.js';
export {
  DEFAULT_PATH,
  findPackageCaches,
  findUnexpectedSetuid,
  findWorldWritableInPath,
  MAX_SYMLINK_HOPS,
  PACKAGE_CACHES,
  pathDirs,
  resolveDir,
} from './file-checks.js';
export type { CacheKind } from './file-checks.js';
export { isKnownSetuidPath, KNOWN_SETUID_PATHS, toMergedUsrPath } from './known-setuid.js';
export { parseShadowRisks } from './shadow.js';
export type { ShadowRisk } from './shadow.js';
export { evaluateSshdConfig } from './sshd.js';
export type { ListConfigs, ReadConfig, SshdSetting } from './sshd.js';
