import { PortcullisError, isPortcullisError } from '../../errors.js';
import type { AnalysisResult } from '../analyzer.js';
import type { FileHeader, ImageFile } from '../../types/file.js';
import type { Note } from '../../types/finding.js';
import type { Ecosystem, Package, PackageType } from '../../types/package.js';

/** Largest manifest or lock file an analyzer buffers (real package-lock.json files reach tens of MiB). */
export const MAX_MANIFEST_BYTES = 64 * 1024 * 1024;

/** Most packages one file may yield; beyond it the file is reported as a note rather than parsed on. */
export const MAX_PACKAGES_PER_FILE = 200_000;

/** A package as a parser sees it: everything but where in the image it was found. */
export type ParsedPackage = Omit<Package, 'layerDigest' | 'path'>;

/** Throws the parse error every lang parser uses, naming the file. */
export function parseError(path: string, message: string, cause?: unknown): PortcullisError {
  return new PortcullisError('ANALYZER_PARSE_FAILED', `${path}: ${message}`, { cause });
}

/** Throws the limit error every lang parser uses, naming the file. */
export function limitError(path: string, message: string): PortcullisError {
  return new PortcullisError('ANALYZER_LIMIT_EXCEEDED', `${path}: ${message}`);
}

/** Parses JSON, turning syntax errors into ANALYZER_PARSE_FAILED. */
export function parseJson(buf: Buffer, path: string): unknown {
  try {
    return JSON.parse(buf.toString('utf8')) as unknown;
  } catch (err) {
    throw parseError(path, `invalid JSON: ${err instanceof Error ? err.message : String(err)}`, err);
  }
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A non-empty string field of a JSON object, else undefined. */
export function stringField(obj: Record<string, unknown>, key: string): string | undefined {
  const v = obj[key];
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

/** Percent-encodes one purl segment (purl-spec: everything but unreserved characters). */
export function encodePurlSegment(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** Builds `pkg:type/ns1/ns2/name@version`; each namespace segment is encoded separately. */
export function toPurl(type: string, namespace: string | undefined, name: string, version: string): string {
  const ns = namespace ? namespace.split('/').filter(Boolean).map(encodePurlSegment).join('/') + '/' : '';
  const ver = version ? `@${encodePurlSegment(version)}` : '';
  return `pkg:${type}/${ns}${encodePurlSegment(name)}${ver}`;
}

/** Builds a parsed package with the fixed fields of one ecosystem. */
export function createParsedPackage(
  type: PackageType,
  ecosystem: Ecosystem,
  fields: { name: string; version: string; purl: string; licenses?: string[]; originalName?: string },
): ParsedPackage {
  const pkg: ParsedPackage = {
    name: fields.name,
    version: fields.version,
    type,
    ecosystem,
    purl: fields.purl,
  };
  if (fields.originalName !== undefined && fields.originalName !== fields.name)
    pkg.originalName = fields.originalName;
  if (fields.licenses && fields.licenses.length > 0) pkg.licenses = fields.licenses;
  return pkg;
}

/** Places parsed packages at the file they were read from, dropping exact duplicates. */
export function locatePackages(parsed: readonly ParsedPackage[], file: ImageFile): Package[] {
  const seen = new Set<string>();
  const out: Package[] = [];
  for (const p of parsed) {
    const key = `${p.purl}\0${p.name}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ ...p, layerDigest: file.layerDigest, path: file.path });
  }
  return out;
}

/** A note for a file an analyzer could not read; the scan goes on. */
export function toNote(err: unknown, file: ImageFile, analyzer: string): Note {
  const code = isPortcullisError(err) ? err.code : 'ANALYZER_PARSE_FAILED';
  const message = err instanceof Error ? err.message : String(err);
  return { code, message: `${analyzer}: ${message}`, path: file.path, layerDigest: file.layerDigest };
}

/** The note for a required file whose content the layer reader did not keep (over its buffer limit). */
export function toMissingContentNote(file: ImageFile, analyzer: string): Note {
  return {
    code: 'ANALYZER_LIMIT_EXCEEDED',
    message: `${analyzer}: ${file.path} was not read (${file.size} bytes, over the buffer limit)`,
    path: file.path,
    layerDigest: file.layerDigest,
  };
}

/**
 * Runs a parser on a file's content: packages on success, a note when the content is missing (over the
 * buffer limit) or unparsable. A broken manifest never fails the scan.
 */
export function analyzeWith(
  file: ImageFile,
  analyzer: string,
  parse: (buf: Buffer, path: string) => readonly ParsedPackage[],
): AnalysisResult {
  if (file.content === undefined) return { notes: [toMissingContentNote(file, analyzer)] };
  try {
    return { packages: locatePackages(parse(file.content, file.path), file) };
  } catch (err) {
    return { notes: [toNote(err, file, analyzer)] };
  }
}

/** Regular file within a size bound: the cheap pre-check of every `required`. */
export function isRegularWithin(header: FileHeader, maxBytes: number): boolean {
  return header.kind === 'file' && header.size > 0 && header.size <= maxBytes;
}

/** Last path segment. */
export function baseName(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? path : path.slice(i + 1);
}

/** Directory part of an absolute path (`/` for top-level files). */
export function dirName(path: string): string {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}
