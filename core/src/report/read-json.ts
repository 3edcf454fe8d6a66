import { PortcullisError } from '../errors.js';
import type { Finding, Note } from '../types/finding.js';
import type { Package, PackageType } from '../types/package.js';
import type { ScanResult } from '../types/scan.js';

/** purl type → how the package was installed (the JSON report carries the purl, not the type). */
const PURL_TYPES: Record<string, PackageType> = {
  deb: 'dpkg',
  apk: 'apk',
  rpm: 'rpm',
  npm: 'npm',
  pypi: 'pypi',
  golang: 'go-module',
  maven: 'jar',
  cargo: 'cargo',
  gem: 'gem',
  composer: 'composer',
};

function invalid(source: string, why: string): PortcullisError {
  return new PortcullisError('PUSH_INVALID', `${source}: ${why}`);
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

/**
 * Reads a `--format json` report back into the ScanResult it was rendered from, so a report written in one CI
 * step can be pushed to the webhook in another (`portcullis push REPORT.json`). Findings lose their
 * suppression (the webhook's policy decides that again); a report that left findings out (`--severity`) or has no
 * `scannedAt` (written before it was added) is refused with `PUSH_INVALID`, since a partial scan could admit
 * what the whole one would deny.
 */
export function parseJsonReport(text: string, source = 'report'): ScanResult {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw invalid(source, 'not JSON (expected a report written with --format json)');
  }
  if (!isObj(v) || v.schemaVersion !== 1 || !isObj(v.image) || !isObj(v.verdict))
    throw invalid(source, 'not a Portcullis JSON report (schemaVersion 1, written with --format json)');
  if (v.findingsFiltered === true)
    throw invalid(
      source,
      'the report leaves findings out (--severity): write it without --severity to push it',
    );
  if (typeof v.scannedAt !== 'string' || Number.isNaN(Date.parse(v.scannedAt)))
    throw invalid(source, 'the report has no scannedAt: re-scan with this version to push it');
  if (!Array.isArray(v.findings) || !Array.isArray(v.packages) || !Array.isArray(v.notes))
    throw invalid(source, 'the report needs findings, packages and notes lists');
  const img = v.image;
  if (typeof img.ref !== 'string' || typeof img.configDigest !== 'string' || !Array.isArray(img.layers))
    throw invalid(source, 'the report needs image.ref, image.configDigest and image.layers');
  const os = isObj(img.os) ? img.os : undefined;
  const builtAt = v.verdict.dbBuiltAt;
  return {
    schemaVersion: 1,
    image: {
      ref: img.ref,
      ...(typeof img.digest === 'string' ? { digest: img.digest } : {}),
      configDigest: img.configDigest,
      ...(os && typeof os.family === 'string' && typeof os.version === 'string'
        ? { os: { family: os.family, version: os.version } }
        : {}),
      layers: (img.layers as unknown[]).filter(isObj).map((l) => ({
        digest: String(l.digest),
        ...(typeof l.diffId === 'string' ? { diffId: l.diffId } : {}),
        ...(typeof l.createdBy === 'string' ? { createdBy: l.createdBy } : {}),
      })),
    },
    packages: (v.packages as unknown[]).filter(isObj).map(toPackage),
    findings: (v.findings as unknown[]).map((f, i) => toFinding(f, `${source}: findings[${i}]`)),
    notes: (v.notes as unknown[]).filter(isObj).map((n) => n as unknown as Note),
    ...(typeof builtAt === 'string' ? { db: { builtAt } } : {}),
    analyzers: isObj(v.analyzers)
      ? (Object.fromEntries(Object.entries(v.analyzers).filter(([, n]) => typeof n === 'number')) as Record<
          string,
          number
        >)
      : {},
    scannedAt: v.scannedAt,
  };
}

function toPackage(p: Record<string, unknown>): Package {
  const purl = String(p.purl);
  const type = PURL_TYPES[/^pkg:([^/]+)\//.exec(purl)?.[1] ?? ''] ?? 'dpkg';
  return { ...(p as unknown as Package), type };
}

function toFinding(f: unknown, where: string): Finding {
  if (
    !isObj(f) ||
    typeof f.id !== 'string' ||
    typeof f.type !== 'string' ||
    typeof f.severity !== 'string' ||
    !isObj(f.location)
  )
    throw new PortcullisError('PUSH_INVALID', `${where}: needs type, id, severity and location`);
  // suppression is the deciding policy's job: a pushed scan carries every finding unsuppressed
  const { suppressedBy: _suppressed, ...rest } = f;
  return rest as unknown as Finding;
}
