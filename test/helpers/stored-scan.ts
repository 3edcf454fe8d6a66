import type { Finding, OsInfo, Package, StoredScan } from '../../core/src/index.js';

/** What differs between the synthetic stored results of the service tests and benches. */
export interface SyntheticScan {
  ref: string;
  digest: string;
  findings?: Finding[];
  packages?: Package[];
  layers?: { digest: string }[];
  os?: OsInfo;
  /** scannedAt and storedAt (default 2026-11-30T10:00:00.000Z) */
  at?: string;
  db?: StoredScan['scan']['db'];
}

/** A stored scanner result (schema 1) with only the given parts: the shape every store backend keeps. */
export function toSyntheticStored(s: SyntheticScan): StoredScan {
  const at = s.at ?? '2026-11-30T10:00:00.000Z';
  return {
    digest: s.digest,
    scannedAt: at,
    storedAt: at,
    origin: 'scanner',
    scan: {
      schemaVersion: 1,
      image: {
        ref: s.ref,
        digest: s.digest,
        configDigest: s.digest,
        ...(s.os === undefined ? {} : { os: s.os }),
        layers: s.layers ?? [],
      },
      packages: s.packages ?? [],
      findings: s.findings ?? [],
      notes: [],
      db: s.db ?? { builtAt: at },
      analyzers: {},
      scannedAt: at,
    } as StoredScan['scan'],
  };
}
