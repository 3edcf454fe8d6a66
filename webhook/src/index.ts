/** Portcullis admission webhook: public entry (the CLI's `webhook serve|manifests` is wired from these). */
export {
  DEFAULT_WEBHOOK_CONFIG,
  ADMISSION_MODES,
  UNKNOWN_IMAGE_MODES,
  parseWebhookConfig,
  parseStoreSpec,
} from './config.js';
export type {
  WebhookConfig,
  AdmissionMode,
  UnknownImageMode,
  FailureMode,
  StoreConfig,
  TrustedKeyConfig,
  OidcIssuerConfig,
  BreakGlassConfig,
} from './config.js';
export { createWebhookApp } from './app.js';
export type { WebhookApp, WebhookDeps } from './app.js';
export { startWebhookServer } from './server.js';
export type { WebhookServer, WebhookServerDeps } from './server.js';
export { renderManifests, DEFAULT_MANIFEST_OPTIONS, WEBHOOK_RULES } from './manifests.js';
export type { ManifestOptions } from './manifests.js';
export { generateServingCert } from './certs.js';
export type { ServingCert } from './certs.js';
export { createPolicyEngine } from './policy-engine.js';
export type {
  PolicyEngine,
  MutablePolicyEngine,
  PolicySnapshot,
  PolicyFunctions,
  AdmissionPolicy,
  AdmissionSettings,
  EvaluationContext,
} from './policy-engine.js';
export { createFilePolicyEngine } from './policy-file.js';
export type { FilePolicyEngine } from './policy-file.js';
export { createCachingResolver } from './resolver.js';
export type { DigestResolver, DigestCacheOptions } from './resolver.js';
export {
  CORE_POLICY_FUNCTIONS,
  createCorePolicyEngine,
  loadCorePolicyEngine,
  createRegistryDigestResolver,
} from './core-wiring.js';
export { createScanQueue } from './scan-queue.js';
export type { ScanQueue, ScanImageFn, ScanQueueOptions } from './scan-queue.js';
export { createVerdictStore, createMemoryStore, createSqliteStore, createRedisStore } from './store/index.js';
export type { VerdictStore, StoredScan, ScanOrigin, RedisStoreOptions } from './store/index.js';
export { createPushVerifier, SCAN_JWS_TYPE } from './push.js';
export type { PushVerifier, VerifiedPush } from './push.js';
export { decideAdmission, decideAdmissionEager } from './decide.js';
export type { AdmissionDecision, DecisionBasis } from './decide.js';
export type { ImageJudgement, ImageOutcome } from './judge-image.js';
export { extractImages, imagesToJudge, isPodCarrier, metadataValue, objectMetadata } from './images.js';
export type { PodImage, ImageField } from './images.js';
export { parseAdmissionReview, toAdmissionReviewReply, toWarnings, MAX_WARNING_LENGTH } from './review.js';
export type { AdmissionRequest, AdmissionResponse, AdmissionReviewReply } from './review.js';
export { evaluateBreakGlass } from './break-glass.js';
export type { BreakGlass } from './break-glass.js';
export { createLogger, silentLogger, PreparedFields } from './logger.js';
export type { Logger, LogLevel } from './logger.js';
export { createWebhookMetrics } from './metrics.js';
export type { WebhookMetrics } from './metrics.js';
export { createWebhookCommand } from './cli.js';
export type { WebhookCliIo } from './cli.js';
