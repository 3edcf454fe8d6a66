export { importOsv, writeOsv, createEcosystemFilter } from './import.js';
export type { ImportOptions, ImportResult, OsvInput, SkippedRecord } from './import.js';
export { openVulnDb, dbStatus } from './open.js';
export { defaultDbPath } from './path.js';
export type { AffectedRow, DbStatus, VulnDb } from './open.js';
export { normalizePackageName, parseOsvRecord, toRecordEcosystems } from './osv.js';
export type { OsvAffected, OsvEvent, OsvRange, OsvRecord, OsvSeverity } from './osv.js';
export { DB_SCHEMA_VERSION } from './schema.js';
export { readZip, readZipFile, DEFAULT_ZIP_LIMITS } from './zip.js';
export type { ZipEntry, ZipLimits } from './zip.js';
export { updateDb, DEFAULT_MIRROR_BASE_URL } from './download.js';
export { DEFAULT_UPDATE_ECOSYSTEMS } from './ecosystems.js';
export type { UpdateOptions, UpdateResult } from './download.js';
export { toNvdCves, toNvdMetrics } from './nvd.js';
export type { NvdCve, NvdMetric } from './nvd.js';
export {
  updateNvd,
  createRateLimiter,
  toWindows,
  DEFAULT_NVD_API_URL,
  NVD_RATE_LIMITS,
  NVD_MAX_RESULTS_PER_PAGE,
} from './download-nvd.js';
export type { NvdUpdateOptions, NvdUpdateResult } from './download-nvd.js';
