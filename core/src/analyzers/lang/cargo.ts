import { inflateSync } from 'node:zlib';
import type { Analyzer } from '../analyzer.js';
import {
  MAX_MANIFEST_BYTES,
  MAX_PACKAGES_PER_FILE,
  analyzeWith,
  baseName,
  createParsedPackage,
  isRecord,
  isRegularWithin,
  limitError,
  locatePackages,
  parseError,
  parseJson,
  stringField,
  toNote,
  toPurl,
  type ParsedPackage,
} from './common.js';
import { CargoAuditSink } from './cargo-stream.js';
import { isElf, isExecutableCandidate, parseElf, readElfSection } from './elf.js';

/** Sources that mean "a crate from crates.io" (git index and sparse index). */
export const CRATES_IO_SOURCES = [
  'registry+https://github.com/rust-lang/crates.io-index',
  'sparse+https://index.crates.io/',
];

/** cargo-auditable's section: zlib-compressed JSON dependency list. */
export const AUDITABLE_SECTION = '.dep-v0';
const MAX_AUDIT_JSON_BYTES = 8 * 1024 * 1024;

/** A crate of crates.io (`pkg:cargo/name@1.0.0`). */
export function toCargoPackage(name: string, version: string): ParsedPackage {
  return createParsedPackage('cargo', 'crates.io', {
    name,
    version,
    purl: toPurl('cargo', undefined, name, version),
  });
}

// The subset of TOML a Cargo.lock uses: table headers, `key = "string"`, `key = 3`, multi-line arrays.
const HEADER_RE = /^\[\[?\s*([A-Za-z0-9_.\-"]+)\s*\]\]?\s*(#.*)?$/;
const KEY_RE = /^([A-Za-z0-9_-]+|"[^"]*")\s*=\s*(.*)$/;

function unquote(v: string): string | undefined {
  const m = /^"((?:[^"\\]|\\.)*)"\s*(#.*)?$/.exec(v);
  return m?.[1]?.replace(/\\(.)/g, '$1');
}

/**
 * Parses `Cargo.lock` (v1–v4): every `[[package]]` whose `source` is crates.io. Path and workspace
 * members (no `source`), git and other-registry crates are skipped: they have no crates.io advisories.
 */
export function parseCargoLock(buf: Buffer, path: string): ParsedPackage[] {
  if (buf.includes(0)) throw parseError(path, 'binary content is not a Cargo.lock');
  const text = buf.toString('utf8');
  const out: ParsedPackage[] = [];
  let table: string | undefined;
  let cur: Record<string, string> | undefined;
  let inArray = false;
  let sawPackage = false;
  const flush = (): void => {
    if (cur?.name && cur.version && cur.source && CRATES_IO_SOURCES.some((s) => cur!.source!.startsWith(s))) {
      if (out.length >= MAX_PACKAGES_PER_FILE)
        throw limitError(path, `more than ${MAX_PACKAGES_PER_FILE} packages`);
      out.push(toCargoPackage(cur.name, cur.version));
    }
    cur = undefined;
  };
  let lineNo = 0;
  for (let start = 0; start < text.length;) {
    const nl = text.indexOf('\n', start);
    const end = nl < 0 ? text.length : nl;
    const line = text.slice(start, end).trim();
    start = end + 1;
    lineNo++;
    if (line === '' || line.startsWith('#')) continue;
    if (inArray) {
      if (line.startsWith(']')) inArray = false;
      continue;
    }
    const h = HEADER_RE.exec(line);
    if (h) {
      flush();
      table = h[1];
      if (line.startsWith('[[') && table === 'package') {
        cur = {};
        sawPackage = true;
      }
      continue;
    }
    const kv = KEY_RE.exec(line);
    if (!kv) throw parseError(path, `line ${lineNo}: not TOML`);
    const value = kv[2] ?? '';
    if (value.startsWith('[') && !/\]\s*(#.*)?$/.test(value)) inArray = true;
    if (cur && table === 'package') {
      const s = unquote(value);
      if (s !== undefined) cur[(kv[1] ?? '').replace(/"/g, '')] = s;
    }
  }
  flush();
  if (!sawPackage && !/^\s*version\s*=/m.test(text)) throw parseError(path, 'no [[package]] tables');
  return out;
}

/**
 * Parses cargo-auditable's JSON (`{packages:[{name,version,source,kind,root}]}`): crates.io crates that
 * are compiled in (runtime kind), not the root crate itself.
 */
export function parseCargoAuditableJson(buf: Buffer, path: string): ParsedPackage[] {
  const doc = parseJson(buf, path);
  if (!isRecord(doc) || !Array.isArray(doc.packages))
    throw parseError(path, 'cargo-auditable data has no packages list');
  const out: ParsedPackage[] = [];
  for (const p of doc.packages) {
    if (!isRecord(p) || p.root === true || p.kind === 'build') continue;
    const name = stringField(p, 'name');
    const version = stringField(p, 'version');
    if (name && version && p.source === 'crates.io') out.push(toCargoPackage(name, version));
  }
  return out;
}

/** Packages from an ELF's `.dep-v0` section; empty when the binary was not built with cargo-auditable. */
export function parseCargoAuditableBinary(buf: Buffer, path: string): ParsedPackage[] {
  if (!isElf(buf)) return [];
  const section = readElfSection(parseElf(buf, path), buf, AUDITABLE_SECTION);
  if (!section) return [];
  let json: Buffer;
  try {
    json = inflateSync(section, { maxOutputLength: MAX_AUDIT_JSON_BYTES });
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
      throw limitError(path, `${AUDITABLE_SECTION} inflates past ${MAX_AUDIT_JSON_BYTES} bytes`);
    }
    throw parseError(path, `${AUDITABLE_SECTION} is not zlib data`, err);
  }
  return parseCargoAuditableJson(json, path);
}

/** Cargo: `Cargo.lock` files and cargo-auditable executables. */
export const cargoAnalyzer: Analyzer = {
  name: 'cargo',
  version: 1,
  scanner: 'inventory',
  required(path, header) {
    if (baseName(path) === 'Cargo.lock') return isRegularWithin(header, MAX_MANIFEST_BYTES);
    return isExecutableCandidate(header);
  },
  stream(file) {
    // Cargo.lock is small text: buffered for `analyze`; executables are searched as they stream
    if (baseName(file.path) === 'Cargo.lock') return undefined;
    return new CargoAuditSink(file, (json, path) =>
      locatePackages(parseCargoAuditableJson(json, path), file),
    );
  },
  analyze(file) {
    if (baseName(file.path) === 'Cargo.lock') return analyzeWith(file, 'cargo', parseCargoLock);
    if (!file.content || !isElf(file.content)) return undefined;
    try {
      const packages = locatePackages(parseCargoAuditableBinary(file.content, file.path), file);
      return packages.length > 0 ? { packages } : undefined;
    } catch (err) {
      // A truncated non-auditable ELF is no concern of ours; a broken .dep-v0 section is.
      if (!file.content.includes(Buffer.from(AUDITABLE_SECTION))) return undefined;
      return { notes: [toNote(err, file, 'cargo')] };
    }
  },
};
