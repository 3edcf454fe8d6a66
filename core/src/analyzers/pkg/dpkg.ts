import type { Analyzer } from '../analyzer.js';
import { addWarning, analyzeSafely, parseFailed } from './record.js';
import type { OsPackageRecord, ParsedPackages } from './record.js';
import { readStanzas, type StanzaFormat } from './stanzas.js';

export const DPKG_STATUS_PATH = '/var/lib/dpkg/status';
/** Distroless images keep one control paragraph per package here, without a Status field. */
export const DPKG_STATUS_DIR = '/var/lib/dpkg/status.d/';

export interface DpkgParseOptions {
  /** Path used in errors and notes. */
  path?: string;
  /**
   * Whether a paragraph needs `Status: … installed` to count. True for `/var/lib/dpkg/status`; false for
   * distroless `status.d/*` files, which list only installed packages and carry no Status field.
   */
  requireStatus?: boolean;
}

/** The fields we keep from a control paragraph; everything else (Description, Depends, …) is skipped. */
const WANTED = new Set(['package', 'status', 'version', 'architecture', 'source']);

/** `Source: util-linux (2.31.1-0.4ubuntu3.1)` → name and optional version. */
function parseSource(value: string): { name: string; version?: string } | undefined {
  const m = /^(\S+)(?:\s+\(([^()\s]+)\))?\s*$/.exec(value);
  if (!m?.[1]) return undefined;
  return m[2] ? { name: m[1], version: m[2] } : { name: m[1] };
}

/** dpkg's notion of installed: the third Status word (`install ok installed`, `hold ok installed`). */
function isInstalled(status: string | undefined): boolean {
  const words = status?.trim().split(/\s+/) ?? [];
  return words.length === 3 && words[1] === 'ok' && words[2] === 'installed';
}

/** A paragraph's package, `undefined` when it is not an installed package, `'skipped'` when unreadable. */
function toRecord(
  fields: Map<string, string>,
  requireStatus: boolean,
  warnings: string[],
): OsPackageRecord | 'skipped' | undefined {
  const name = fields.get('package');
  if (!name) return undefined;
  if (requireStatus && !isInstalled(fields.get('status'))) return undefined;
  const version = fields.get('version');
  if (!version) {
    addWarning(warnings, `package ${name} has no Version: skipped`);
    return 'skipped';
  }
  const record: OsPackageRecord = { name, version };
  const arch = fields.get('architecture');
  if (arch) record.arch = arch;
  const sourceField = fields.get('source');
  const source = sourceField === undefined ? undefined : parseSource(sourceField);
  if (sourceField !== undefined && !source)
    addWarning(warnings, `package ${name} has a malformed Source field`);
  record.sourceName = source?.name ?? name;
  // Binary NMUs (`+b3`) and epochs make the binary version differ from its source's.
  if (source?.version !== undefined && source.version !== version) record.sourceVersion = source.version;
  return record;
}

/** RFC 822-style control fields, keys case-insensitive; a blank (or whitespace-only) line ends a paragraph. */
const DPKG_FORMAT: StanzaFormat = {
  wanted: WANTED,
  toLine(line) {
    if (line.trim() === '') return 'end';
    // Continuation lines belong to multi-line fields (Description, Conffiles) we do not keep.
    if (line[0] === ' ' || line[0] === '\t') return 'skip';
    const colon = line.indexOf(':');
    if (colon <= 0) return 'invalid';
    return { key: line.slice(0, colon).trim().toLowerCase(), value: line.slice(colon + 1).trim() };
  },
  invalidLine: 'ignored a line that is not a control field',
};

/**
 * Parses a dpkg status file (or one distroless `status.d` file): installed packages with name, version,
 * architecture and source package. Linear in the input; lines of any length are skipped past. A damaged
 * file is read as far as it is sound: a paragraph with NUL bytes or an over-long kept field is dropped
 * with a warning and counted in `skipped`, the paragraphs around it still count. Throws
 * ANALYZER_PARSE_FAILED for content with no control fields at all.
 */
export function parseDpkgStatus(buf: Buffer, options: DpkgParseOptions = {}): ParsedPackages {
  const path = options.path ?? DPKG_STATUS_PATH;
  const requireStatus = options.requireStatus ?? true;
  const text = buf.toString('utf8');
  const packages: OsPackageRecord[] = [];
  const warnings: string[] = [];
  let unreadable = 0;
  const { sawField, dropped } = readStanzas(text, DPKG_FORMAT, warnings, (fields) => {
    const record = toRecord(fields, requireStatus, warnings);
    if (record === 'skipped') unreadable++;
    else if (record) packages.push(record);
  });
  if (!sawField && text.replace(/\0/g, '').trim() !== '')
    throw parseFailed(path, 'no control fields found: not a dpkg status file');
  if (dropped > 0 && packages.length === 0 && unreadable === 0)
    throw parseFailed(path, `damaged beyond reading: no entry without NUL bytes or over-long fields`);
  const skipped = dropped + unreadable;
  return skipped > 0 ? { packages, warnings, skipped } : { packages, warnings };
}

/** Whether a path is the dpkg status file or a distroless `status.d` entry (not its `.md5sums`). */
export function isDpkgStatusPath(path: string): boolean {
  if (path === DPKG_STATUS_PATH) return true;
  if (!path.startsWith(DPKG_STATUS_DIR)) return false;
  const rest = path.slice(DPKG_STATUS_DIR.length);
  return rest !== '' && !rest.includes('/') && !rest.endsWith('.md5sums');
}

export const dpkgAnalyzer: Analyzer = {
  name: 'dpkg',
  version: 1,
  scanner: 'inventory',
  required(path, header) {
    return header.kind === 'file' && isDpkgStatusPath(path);
  },
  analyze(file) {
    if (!file.content) return undefined;
    const content = file.content;
    return analyzeSafely(file, 'dpkg', () =>
      parseDpkgStatus(content, { path: file.path, requireStatus: file.path === DPKG_STATUS_PATH }),
    );
  },
};
