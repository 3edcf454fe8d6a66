import type { Analyzer } from '../analyzer.js';
import type { Note } from '../../types/finding.js';
import {
  baseName,
  createParsedPackage,
  isRegularWithin,
  locatePackages,
  toMissingContentNote,
  toNote,
  toPurl,
  type ParsedPackage,
} from './common.js';
import { readZipEntries, readZipEntry, type ZipBudget, type ZipEntry } from './zip.js';

/** Largest archive buffered (fat jars and wars reach a few hundred MiB). */
export const MAX_ARCHIVE_BYTES = 512 * 1024 * 1024;
/** Nested archives are opened down to this depth (the outer archive is depth 0). */
export const MAX_NESTING_DEPTH = 3;
/** Total bytes inflated for one outer archive, nested archives included. */
export const MAX_INFLATED_BYTES = 256 * 1024 * 1024;
/** Largest single nested archive inflated. */
export const MAX_NESTED_ARCHIVE_BYTES = 64 * 1024 * 1024;
const MAX_META_FILE_BYTES = 1024 * 1024;
const MAX_ZIP_ENTRIES = 500_000;

const ARCHIVE_RE = /\.(?:jar|war|ear|par)$/i;
const POM_PROPERTIES_RE = /^META-INF\/maven\/[^/]+\/[^/]+\/pom\.properties$/;

/** Packages of one archive tree, and the nested archives that were not opened (with why). */
export interface JavaArchiveResult {
  packages: ParsedPackage[];
  skipped: { path: string; code: 'ANALYZER_PARSE_FAILED' | 'ANALYZER_LIMIT_EXCEEDED'; reason: string }[];
}

/** A Maven artifact (`pkg:maven/group/artifact@1.0`, name `group:artifact`). */
export function toMavenPackage(groupId: string, artifactId: string, version: string): ParsedPackage {
  return createParsedPackage('jar', 'Maven', {
    name: groupId ? `${groupId}:${artifactId}` : artifactId,
    version,
    purl: toPurl('maven', groupId || undefined, artifactId, version),
  });
}

/** Java `.properties` (the subset pom.properties uses: `key=value`, `#` comments). */
export function parseProperties(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith('!')) continue;
    const m = /^([^=:\s]+)\s*[=:\s]\s*(.*)$/.exec(line);
    if (m?.[1]) out.set(m[1], (m[2] ?? '').trim());
  }
  return out;
}

/** Main section of a `META-INF/MANIFEST.MF` (72-byte lines, continuations start with one space). */
export function parseManifest(text: string): Map<string, string> {
  const out = new Map<string, string>();
  let lastKey: string | undefined;
  for (const line of text.split(/\r?\n/)) {
    if (line === '') break; // main section ends at the first blank line
    if (line.startsWith(' ') && lastKey) {
      out.set(lastKey, (out.get(lastKey) ?? '') + line.slice(1));
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    lastKey = line.slice(0, colon).trim();
    out.set(lastKey, line.slice(colon + 1).trim());
  }
  return out;
}

function fromPom(text: string): ParsedPackage | undefined {
  const p = parseProperties(text);
  const g = p.get('groupId');
  const a = p.get('artifactId');
  const v = p.get('version');
  // Unfiltered templates (`${project.version}`) name no release.
  if (!g || !a || !v || v.includes('${')) return undefined;
  return toMavenPackage(g, a, v);
}

/** Best-effort coordinates from a manifest, then from an `artifact-1.2.3.jar` file name. */
function fromManifestOrName(
  manifest: Map<string, string> | undefined,
  fileName: string,
): ParsedPackage | undefined {
  const m = manifest ?? new Map<string, string>();
  const version =
    m.get('Implementation-Version') ?? m.get('Bundle-Version') ?? m.get('Specification-Version');
  const vendorId = m.get('Implementation-Vendor-Id');
  const title = m.get('Implementation-Title');
  const symbolic = m.get('Bundle-SymbolicName')?.split(';')[0]?.trim();
  if (version) {
    if (vendorId && title && !/\s/.test(title)) return toMavenPackage(vendorId, title, version);
    if (symbolic?.includes('.')) {
      const dot = symbolic.lastIndexOf('.');
      return toMavenPackage(symbolic.slice(0, dot), symbolic.slice(dot + 1), version);
    }
  }
  const byName = /^(.+?)-(\d[\w.+-]*)\.(?:jar|war|ear|par)$/i.exec(fileName);
  if (byName?.[1] && byName[2]) return toMavenPackage('', byName[1], byName[2]);
  if (version && title && !/\s/.test(title)) return toMavenPackage('', title, version);
  return undefined;
}

function walk(buf: Buffer, path: string, depth: number, budget: ZipBudget, result: JavaArchiveResult): void {
  const entries = readZipEntries(buf, path, budget);
  const meta = (e: ZipEntry): string =>
    readZipEntry(buf, e, path, MAX_META_FILE_BYTES, budget).toString('utf8');
  let found = false;
  for (const e of entries) {
    if (!POM_PROPERTIES_RE.test(e.name)) continue;
    const pkg = fromPom(meta(e));
    if (pkg) {
      result.packages.push(pkg);
      found = true;
    }
  }
  if (!found) {
    const mf = entries.find((e) => e.name === 'META-INF/MANIFEST.MF');
    const pkg = fromManifestOrName(mf ? parseManifest(meta(mf)) : undefined, baseName(path));
    if (pkg) result.packages.push(pkg);
  }
  for (const e of entries) {
    if (!ARCHIVE_RE.test(e.name) || e.name.endsWith('/')) continue;
    const inner = `${path}!/${e.name}`;
    if (depth + 1 > MAX_NESTING_DEPTH) {
      result.skipped.push({
        path: inner,
        code: 'ANALYZER_LIMIT_EXCEEDED',
        reason: `nested deeper than ${MAX_NESTING_DEPTH} archives`,
      });
      continue;
    }
    const data = readZipEntry(buf, e, path, MAX_NESTED_ARCHIVE_BYTES, budget);
    try {
      walk(data, inner, depth + 1, budget, result);
    } catch (err) {
      // A corrupt inner jar costs only itself; a limit (bomb) ends the whole archive.
      if ((err as { code?: string }).code === 'ANALYZER_LIMIT_EXCEEDED') throw err;
      result.skipped.push({
        path: inner,
        code: 'ANALYZER_PARSE_FAILED',
        reason: err instanceof Error ? err.message : String(err),
      });
    }
  }
}

/**
 * Reads a Java archive and the archives nested in it (to depth 3): `META-INF/maven/<g>/<a>/pom.properties`,
 * else MANIFEST.MF coordinates, else the file name. Bounded: entry count, per-entry and total inflated
 * bytes (ANALYZER_LIMIT_EXCEEDED); malformed outer archives throw ANALYZER_PARSE_FAILED.
 */
export function parseJavaArchiveDetailed(buf: Buffer, path: string): JavaArchiveResult {
  const result: JavaArchiveResult = { packages: [], skipped: [] };
  walk(buf, path, 0, { bytes: MAX_INFLATED_BYTES, entries: MAX_ZIP_ENTRIES }, result);
  return result;
}

/** Packages of a Java archive (see `parseJavaArchiveDetailed`). */
export function parseJavaArchive(buf: Buffer, path: string): ParsedPackage[] {
  return parseJavaArchiveDetailed(buf, path).packages;
}

export function isJavaArchivePath(path: string): boolean {
  return ARCHIVE_RE.test(path);
}

/** Maven: jar, war, ear and par archives, nested ones included. Packages carry the outer archive's path. */
export const javaAnalyzer: Analyzer = {
  name: 'java',
  version: 1,
  scanner: 'inventory',
  required(path, header) {
    return isJavaArchivePath(path) && isRegularWithin(header, MAX_ARCHIVE_BYTES);
  },
  analyze(file) {
    if (!file.content) return { notes: [toMissingContentNote(file, 'java')] };
    try {
      const r = parseJavaArchiveDetailed(file.content, file.path);
      const notes: Note[] = r.skipped.map((s) => ({
        code: s.code,
        message: `java: ${s.path} not read: ${s.reason}`,
        path: file.path,
        layerDigest: file.layerDigest,
      }));
      return { packages: locatePackages(r.packages, file), notes };
    } catch (err) {
      return { notes: [toNote(err, file, 'java')] };
    }
  },
};
