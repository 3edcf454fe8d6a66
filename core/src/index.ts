/**
 * The public entry of Portcullis core. `webhook/` and `github-action/` import only from here.
 */
export { PortcullisError, isPortcullisError, wrapError } from './errors.js';
export type { ErrorCode, Problem } from './errors.js';
export * from './types/index.js';
export type {
  Analyzer,
  AnalysisResult,
  AnalyzerOptions,
  ImageContext,
  ScannerName,
} from './analyzers/analyzer.js';
export { readLayer, mergeLayers, DEFAULT_LAYER_LIMITS } from './layers/index.js';
export type { LayerContents, LayerLimits, MergedView } from './layers/index.js';

// scanning
export {
  scan,
  scanImage,
  createScanHooks,
  createLayerCache,
  ALL_SCANNERS,
  redactScanResult,
  redactPlainData,
} from './scan/index.js';
export { checkPolicyNames, assertPolicyNames } from './scan/policy-names.js';
export { suggestChoice, parseChoice } from './choices.js';
// the one redaction step, for any text that leaves the process (logs, messages)
export { createRedactor, redactSecrets } from './analyzers/secret/redactor.js';
export type { Redactor, RedactorOptions } from './analyzers/secret/redactor.js';
export type { ScanRequest, ScanOptions, ScanHooks, LayerCache } from './scan/index.js';
export { createAnalyzers, createInventoryAnalyzers } from './analyzers/index.js';
export { analyzeDockerfile, buildInstructionAnalyzer } from './analyzers/buildinstruction/index.js';

// sources
export { openImage, parseReference, createRegistryClient, isLoopbackHost } from './source/index.js';
export type { ImageSource, ImageReference, RegistryClient, SourceOptions } from './source/index.js';
// registry catalogs (registry scans list what to scan through these)
export { createCatalogLister, toRegistrySourceOptions, REGISTRY_KINDS } from './source/index.js';
export type {
  CatalogImage,
  CatalogLister,
  CatalogListerOptions,
  CreateCatalogLister,
  RegistryKind,
  RegistrySettings,
} from './source/index.js';

// vulnerability data
export {
  importOsv,
  openVulnDb,
  dbStatus,
  updateDb,
  defaultDbPath,
  DEFAULT_UPDATE_ECOSYSTEMS,
} from './vulndb/index.js';
export type { VulnDb, DbStatus, UpdateOptions } from './vulndb/index.js';
export { compareVersions } from './versions/index.js';

// policy, verdicts, reports
export {
  DEFAULT_POLICY,
  parsePolicy,
  loadPolicy,
  resolvePolicy,
  policyDigest,
  evaluatePolicy,
  policyCheck,
  toAnalyzerOptions,
  toEnabledScanners,
} from './policy/index.js';
export type { Policy, ResolvedPolicy, PolicyException, EvaluationContext } from './policy/index.js';
export { parseDuration, toDurationMs, toHumanSpan } from './duration.js';
export {
  signVerdict,
  verifyVerdict,
  readKeyFile,
  parseKey,
  SCAN_JWS_TYPE,
  signScanResult,
  pushScanResult,
} from './verdict/index.js';
export type { VerdictKey, VerdictAlg, VerdictJwk, PushOptions, PushResult } from './verdict/index.js';
export {
  renderReport,
  renderReportChunks,
  renderSbom,
  isReportFormat,
  REPORT_FORMATS,
  remediationFor,
  parseJsonReport,
} from './report/index.js';
export type { ReportFormat, RenderOptions } from './report/index.js';
export { TOOL_NAME, TOOL_VERSION } from './version.js';
// servers and repeating jobs run until SIGINT/SIGTERM (webhook serve, serve, db update --every)
export { untilSignal } from './cli/signals.js';

// verdict store (scan results per digest): registry scans write it, the webhook reads it
export {
  createVerdictStore,
  createMemoryStore,
  createSqliteStore,
  createRedisStore,
  parseStoredScan,
  toAdvisoryHits,
  toAdvisoryKey,
  toScanProjection,
  toStoredProjection,
  parseStoreSpec,
  defaultStorePath,
} from './store/index.js';
export type {
  AdvisoryHit,
  StoredScan,
  ScanOrigin,
  VerdictStore,
  StoreSpec,
  RedisStoreOptions,
} from './store/index.js';
// recent admission decisions (the webhook records them, the console's Overview reads them)
export { ADMISSION_LOG_CAP, type AdmissionEvent } from './store/index.js';

// registry-scan tasks (the scan service runs them, lists them and reads their logs)
export {
  createRegistryScanTask,
  runRegistryScan,
  selectRegistries,
  openScanStores,
  toPinnedInput,
} from './registry-scan/index.js';
export type { RegistryScanRequest, ScanStores } from './registry-scan/index.js';
export { createTaskStore, createMemoryTaskStore } from './store/index.js';
export { SYSTEM_CLOCK, FINAL_STATUSES, DEFAULT_REGISTRY_CONCURRENCY, emptyProgress } from './tasks/index.js';
export type {
  TaskClock,
  TaskRecord,
  TaskStore,
  TaskLogEntry,
  TaskStatus,
  TaskTrigger,
  TaskScope,
} from './tasks/index.js';
// the scan service runs `db update` on its schedule with the CLI's defaults
