import type { Analyzer } from '../analyzer.js';
import { addWarning, analyzeSafely, parseFailed } from './record.js';
import type { OsPackageRecord, ParsedPackages } from './record.js';
import { readStanzas, type StanzaFormat } from './stanzas.js';

/** apk-tools keeps its installed database here; `/usr/lib/apk/db` is the newer (usr-merged) location. */
export const APK_INSTALLED_PATHS: readonly string[] = ['/lib/apk/db/installed', '/usr/lib/apk/db/installed'];

/** Single-letter keys we keep (apk-tools `apk_db_index_read`): name, version, arch, origin, licence. */
const WANTED = new Set(['P', 'V', 'A', 'o', 'L']);

function toRecord(fields: Map<string, string>, warnings: string[]): OsPackageRecord | undefined {
  const name = fields.get('P');
  if (!name) return undefined;
  const version = fields.get('V');
  if (!version) {
    addWarning(warnings, `package ${name} has no V: version: skipped`);
    return undefined;
  }
  const record: OsPackageRecord = { name, version, sourceName: fields.get('o') || name };
  const arch = fields.get('A');
  if (arch) record.arch = arch;
  const license = fields.get('L');
  if (license) record.licenses = [license];
  return record;
}

/** `K:value` lines; a blank line ends an entry, and so does a second P: (seen in hand-edited databases). */
const APK_FORMAT: StanzaFormat = {
  wanted: WANTED,
  toLine(line) {
    if (line === '') return 'end';
    if (line.length < 2 || line[1] !== ':') return 'invalid';
    return { key: line[0] ?? '', value: line.slice(2) };
  },
  invalidLine: 'ignored a line that is not a K:value field',
  keyLabel: (key) => `${key}:`,
  startKey: 'P',
};

/**
 * Parses apk's `installed` database: blank-line separated entries of `K:value` lines. Linear in the input;
 * over-long kept values drop their entry with a warning. Throws ANALYZER_PARSE_FAILED for binary content or
 * text without any `K:value` line.
 */
export function parseApkInstalled(buf: Buffer, path = APK_INSTALLED_PATHS[0] ?? ''): ParsedPackages {
  if (buf.includes(0)) throw parseFailed(path, 'contains NUL bytes: not an apk installed database');
  const text = buf.toString('utf8');
  const packages: OsPackageRecord[] = [];
  const warnings: string[] = [];
  const sawField = readStanzas(text, APK_FORMAT, warnings, (fields) => {
    const record = toRecord(fields, warnings);
    if (record) packages.push(record);
  });
  if (!sawField && text.trim() !== '')
    throw parseFailed(path, 'no K:value fields found: not an apk database');
  return { packages, warnings };
}

export const apkAnalyzer: Analyzer = {
  name: 'apk',
  version: 1,
  scanner: 'inventory',
  required(path, header) {
    return header.kind === 'file' && APK_INSTALLED_PATHS.includes(path);
  },
  analyze(file) {
    const content = file.content;
    if (!content) return undefined;
    return analyzeSafely(file, 'apk', () => parseApkInstalled(content, file.path));
  },
};
