import type { Analyzer } from '../analyzer.js';
import {
  analyzeWith,
  createParsedPackage,
  isRegularWithin,
  parseError,
  toPurl,
  type ParsedPackage,
} from './common.js';

/** METADATA carries the long description after the headers; cap what we buffer. */
export const MAX_PYTHON_METADATA_BYTES = 8 * 1024 * 1024;

// Headers end at the first blank line; a description-less file is small anyway.
const MAX_HEADER_CHARS = 1024 * 1024;

/** PEP 503 name normalisation: lower case, runs of `-`, `_`, `.` become one `-`. */
export function toPep503Name(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

/** Reads RFC 822 style headers (with continuation lines) up to the first blank line. */
export function parseRfc822Headers(text: string): Map<string, string[]> {
  const headers = new Map<string, string[]>();
  let last: { key: string; values: string[] } | undefined;
  const end = text.search(/\r?\n\r?\n/);
  const head = (end < 0 ? text : text.slice(0, end)).slice(0, MAX_HEADER_CHARS);
  for (const line of head.split(/\r?\n/)) {
    if (/^[ \t]/.test(line) && last) {
      const i = last.values.length - 1;
      last.values[i] = `${last.values[i] ?? ''}\n${line.trim()}`;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const key = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    const values = headers.get(key) ?? [];
    values.push(value);
    headers.set(key, values);
    last = { key, values };
  }
  return headers;
}

/**
 * Parses Python core metadata (`*.dist-info/METADATA`, `*.egg-info/PKG-INFO`, a `*.egg-info` file).
 * `name` is PEP 503-normalised, as OSV and purl use it; the written name is kept as `originalName`.
 */
export function parsePythonMetadata(buf: Buffer, path: string): ParsedPackage[] {
  if (buf.includes(0)) throw parseError(path, 'binary content is not Python metadata');
  const headers = parseRfc822Headers(buf.toString('utf8'));
  const original = headers.get('name')?.[0];
  const version = headers.get('version')?.[0];
  if (!original || !version) throw parseError(path, 'no Name/Version header');
  const name = toPep503Name(original);
  const licenses: string[] = [];
  const expr = headers.get('license-expression')?.[0];
  const lic = headers.get('license')?.[0];
  if (expr) licenses.push(expr);
  // Some projects paste the whole licence text into License:; only a short value is a name.
  else if (lic && lic !== 'UNKNOWN' && lic.length <= 80 && !lic.includes('\n')) licenses.push(lic);
  else {
    for (const c of headers.get('classifier') ?? []) {
      const m = /^License :: (?:OSI Approved :: )?(.+)$/.exec(c);
      if (m?.[1] && m[1] !== 'OSI Approved') licenses.push(m[1]);
    }
  }
  return [
    createParsedPackage('pypi', 'PyPI', {
      name,
      originalName: original,
      version,
      purl: toPurl('pypi', undefined, name, version),
      licenses,
    }),
  ];
}

/** True for the metadata files pip, setuptools and Debian's python3-* packages leave behind. */
export function isPythonMetadataPath(path: string): boolean {
  return (
    /\.dist-info\/METADATA$/.test(path) || /\.egg-info\/PKG-INFO$/.test(path) || /\.egg-info$/.test(path)
  );
}

/** PyPI: installed distribution metadata. */
export const pythonAnalyzer: Analyzer = {
  name: 'python',
  version: 1,
  scanner: 'inventory',
  required(path, header) {
    return isPythonMetadataPath(path) && isRegularWithin(header, MAX_PYTHON_METADATA_BYTES);
  },
  analyze(file) {
    return analyzeWith(file, 'python', parsePythonMetadata);
  },
};
