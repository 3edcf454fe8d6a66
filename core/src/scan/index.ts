import { existsSync } from 'node:fs';
import { isPortcullisError } from '../errors.js';
import type { ScannerName } from '../analyzers/analyzer.js';
import { applyOsToPackages, createAnalyzers, detectOs, type AnalyzerSettings } from '../analyzers/index.js';
import type { AnalyzerOptions } from '../analyzers/analyzer.js';
import type { LayerLimits } from '../layers/index.js';
import type { SourceOptions } from '../source/index.js';
import type { ScanResult } from '../types/scan.js';
import type { LayerCache } from './layer-cache.js';
import { scanImage, type ScanHooks } from './scan.js';

export { scanImage, readImageLayers } from './scan.js';
export { redactScanResult, redactPlainData } from './redact.js';
export { createLayerCache, type LayerCache } from './layer-cache.js';
export type { ScanHooks, ScanOptions } from './scan.js';

/** The scanners `--scanners` accepts; inventory always runs. */
export const ALL_SCANNERS: readonly ScannerName[] = [
  'vuln',
  'secret',
  'malware',
  'baseline',
  'buildinstruction',
];

export interface ScanRequest {
  scanners?: readonly ScannerName[];
  /** Vulnerability DB; a missing file is a note, not an error (the rest of the scan still runs). */
  dbPath?: string;
  ignoreUnfixed?: boolean;
  source?: SourceOptions;
  /** Options the policy selects (`toAnalyzerOptions(policy)` gives exactly this shape). */
  analyzerOptions?: Pick<AnalyzerOptions, 'secret' | 'baseline' | 'malware'>;
  analyzerSettings?: AnalyzerSettings;
  layerLimits?: Partial<LayerLimits>;
  concurrency?: number;
  onLayerProgress?: Parameters<typeof scanImage>[1]['onLayerProgress'];
  now?: () => Date;
  /** Per-layer reads shared across scans (images sharing base layers are read once). */
  layerCache?: LayerCache;
}

/** The standard hooks: OS detection and OS package completion from the analyzers, OSV matching from the DB. */
export function createScanHooks(request: Pick<ScanRequest, 'dbPath' | 'ignoreUnfixed'>): ScanHooks {
  return {
    detectOs,
    applyOs: applyOsToPackages,
    async matchVulnerabilities(packages, os) {
      const { dbPath } = request;
      if (!dbPath || !existsSync(dbPath)) {
        return {
          findings: [],
          notes: [
            {
              code: 'DB_NOT_FOUND',
              message: `no vulnerability DB${dbPath ? ` at ${dbPath}` : ''}: vulnerabilities were not checked (run \`portcullis db update\` or \`portcullis db import\`)`,
            },
          ],
        };
      }
      // the DB (better-sqlite3) and the matchers load only when there is a DB to match against
      const [{ openVulnDb }, { matchPackages }] = await Promise.all([
        import('../vulndb/index.js'),
        import('../matchers/index.js'),
      ]);
      let db: ReturnType<typeof openVulnDb>;
      try {
        db = openVulnDb(dbPath);
      } catch (err) {
        // an unreadable DB checks nothing, like a missing one: a note the policy gates (gates.missingDb)
        if (!isPortcullisError(err)) throw err;
        return {
          findings: [],
          notes: [
            {
              code: err.code === 'DB_NOT_FOUND' ? 'DB_NOT_FOUND' : 'DB_INVALID',
              message: `vulnerability DB ${dbPath} is unusable (${err.message}): vulnerabilities were not checked (run \`portcullis db update\` or \`portcullis db import\`)`,
            },
          ],
        };
      }
      try {
        const result = matchPackages(db, packages, os, request.ignoreUnfixed ? { ignoreUnfixed: true } : {});
        return { ...result, ...(db.builtAt ? { dbBuiltAt: db.builtAt } : {}), dbPath };
      } finally {
        db.close();
      }
    },
  };
}

/** Scans one image with every analyzer and the standard hooks. */
export async function scan(input: string, request: ScanRequest = {}): Promise<ScanResult> {
  const scanners = new Set(request.scanners ?? ALL_SCANNERS);
  return scanImage(input, {
    scanners,
    analyzers: await createAnalyzers(request.analyzerSettings, scanners),
    hooks: createScanHooks(request),
    ...(request.analyzerOptions ? { analyzerOptions: request.analyzerOptions } : {}),
    ...(request.source ? { source: request.source } : {}),
    ...(request.layerLimits ? { layerLimits: request.layerLimits } : {}),
    ...(request.concurrency ? { concurrency: request.concurrency } : {}),
    ...(request.onLayerProgress ? { onLayerProgress: request.onLayerProgress } : {}),
    ...(request.now ? { now: request.now } : {}),
    ...(request.layerCache ? { layerCache: request.layerCache } : {}),
  });
}
