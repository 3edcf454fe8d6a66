/**
 * One error class for the whole toolkit. Callers branch on `code`, never on `instanceof`
 * (bundled copies of the class would not be `instanceof` each other).
 */
export type ErrorCode =
  // usage / CLI
  | 'USAGE_INVALID'
  // image sources
  | 'SOURCE_NOT_FOUND'
  | 'SOURCE_UNSUPPORTED'
  | 'SOURCE_REFERENCE_INVALID'
  | 'SOURCE_MANIFEST_INVALID'
  | 'SOURCE_MANIFEST_UNSUPPORTED'
  | 'SOURCE_PLATFORM_NOT_FOUND'
  | 'SOURCE_DIGEST_MISMATCH'
  | 'SOURCE_BLOB_MISSING'
  | 'SOURCE_ARCHIVE_INVALID'
  | 'SOURCE_PATH_UNSAFE'
  | 'SOURCE_LIMIT_EXCEEDED'
  | 'REGISTRY_UNAUTHORIZED'
  | 'REGISTRY_DENIED'
  | 'REGISTRY_NOT_FOUND'
  | 'REGISTRY_UNAVAILABLE'
  | 'REGISTRY_PROTOCOL'
  | 'REGISTRY_INSECURE_REFUSED'
  | 'REGISTRY_TLS'
  // registry catalog listing (registry scans)
  | 'REGISTRY_AUTH_FAILED'
  | 'REGISTRY_RATE_LIMITED'
  | 'REGISTRY_API_ERROR'
  | 'REGISTRY_TIMEOUT'
  // layers
  | 'LAYER_DECOMPRESS_FAILED'
  | 'LAYER_TRUNCATED'
  | 'LAYER_TAR_INVALID'
  | 'LAYER_LIMIT_EXCEEDED'
  | 'LAYER_PATH_UNSAFE'
  | 'LAYER_SYMLINK_LOOP'
  | 'LAYER_COMPRESSION_UNSUPPORTED'
  // analyzers
  | 'ANALYZER_PARSE_FAILED'
  | 'ANALYZER_RULES_INVALID'
  | 'ANALYZER_HASHDB_INVALID'
  | 'ANALYZER_LIMIT_EXCEEDED'
  // versions
  | 'VERSION_INVALID'
  | 'VERSION_ECOSYSTEM_UNSUPPORTED'
  // vulnerability db
  | 'DB_NOT_FOUND'
  | 'DB_INVALID'
  | 'DB_RECORD_INVALID'
  | 'DB_IMPORT_FAILED'
  | 'DB_IMPORT_NOT_OSV'
  | 'DB_DOWNLOAD_FAILED'
  | 'DB_STALE'
  | 'DB_BACKEND_UNAVAILABLE'
  // policy / verdict
  | 'POLICY_INVALID'
  | 'POLICY_NOT_FOUND'
  | 'POLICY_IMPORT_INVALID'
  | 'VERDICT_SIGNATURE_INVALID'
  | 'VERDICT_KEY_INVALID'
  // pushing scan results to a webhook
  | 'PUSH_INVALID'
  | 'PUSH_REFUSED'
  | 'PUSH_UNREACHABLE'
  // reports
  | 'REPORT_FORMAT_UNKNOWN'
  // webhook
  | 'WEBHOOK_REVIEW_INVALID'
  | 'WEBHOOK_STORE_UNAVAILABLE'
  | 'WEBHOOK_CONFIG_INVALID'
  | 'WEBHOOK_TOKEN_INVALID'
  | 'WEBHOOK_TIMEOUT'
  | 'WEBHOOK_SCAN_QUEUE_FULL'
  | 'WEBHOOK_PUSH_INVALID'
  | 'WEBHOOK_PORT_IN_USE'
  // registry-scan tasks and their stores
  | 'STORE_UNAVAILABLE'
  | 'TASK_NOT_FOUND'
  // scan service
  | 'SERVICE_CONFIG_INVALID'
  | 'SERVICE_TOKENS_INVALID'
  // dockerfile
  | 'DOCKERFILE_PARSE_FAILED'
  | 'INTERNAL';

/** One problem found while validating input; validation collects all of them before throwing. */
export interface Problem {
  /** JSON path (`/gates/deny/severity`) or file path, where the problem is. */
  path: string;
  message: string;
}

export class PortcullisError extends Error {
  readonly code: ErrorCode;
  readonly problems: Problem[];

  constructor(code: ErrorCode, message: string, options: { cause?: unknown; problems?: Problem[] } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PortcullisError';
    this.code = code;
    this.problems = options.problems ?? [];
  }
}

/** True for any error carrying a Portcullis code (works across bundled copies). */
export function isPortcullisError(err: unknown): err is PortcullisError {
  return (
    typeof err === 'object' &&
    err !== null &&
    typeof (err as { code?: unknown }).code === 'string' &&
    (err as { name?: unknown }).name === 'PortcullisError'
  );
}

/** Wraps an error at a stage boundary with context ("reading layer sha256:…"), keeping its code. */
export function wrapError(err: unknown, context: string, fallback: ErrorCode = 'INTERNAL'): PortcullisError {
  if (isPortcullisError(err)) {
    const wrapped = new PortcullisError(err.code, `${context}: ${err.message}`, {
      cause: err,
      problems: err.problems,
    });
    return wrapped;
  }
  const message = err instanceof Error ? err.message : String(err);
  return new PortcullisError(fallback, `${context}: ${message}`, { cause: err });
}
