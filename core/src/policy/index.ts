export type {
  PolicyRegistry,
  ScanPolicy,
  AdmissionMode,
  GateRule,
  GateSeverity,
  PackageSelector,
  Policy,
  PolicyException,
  ResolvedGate,
  ResolvedPolicy,
  UnknownImageAction,
} from './types.js';
export {
  DEFAULT_POLICY,
  DEFAULT_DENY_SEVERITY,
  DEFAULT_WARN_SEVERITY,
  DEFAULT_MAX_DB_AGE,
  DEFAULT_EXPIRY_WARNING,
  DEFAULT_MAX_VERDICT_AGE,
  resolvePolicy,
  isResolvedPolicy,
  isTypeEnabled,
} from './defaults.js';
export { parsePolicy, loadPolicy, MAX_POLICY_BYTES } from './parse.js';
export { POLICY_SCHEMA, validatePolicyDocument } from './validate.js';
export { policyDigest, toCanonicalJson } from './digest.js';
export { toImageRefParts } from './image-ref.js';
export type { ImageRefParts } from './image-ref.js';
export { isExceptionMatch, toExpiryDate, parsePurl } from './match.js';
export type { MatchScope } from './match.js';
export { evaluatePolicy } from './evaluate.js';
export type { EvaluationContext } from './evaluate.js';
export { policyCheck } from './check.js';
export type { ExpiryItem, PolicyCheckResult } from './check.js';
export { importTrivyIgnore } from './import-trivy.js';
export type { ImportResult } from './import-trivy.js';
export { importGitlabAllowlist } from './import-gitlab.js';
export { toAnalyzerOptions, toEnabledScanners } from './scanners.js';
export type { PolicyAnalyzerOptions, PolicyScannerName } from './scanners.js';
