import type { Analyzer } from '../analyzer.js';
import { addWarning, analyzeSafely, parseFailed } from './record.js';
import type { OsPackageRecord, ParsedPackages } from './record.js';
import { readStanzas, type StanzaFormat } from './stanzas.js';

/** apk-tools keeps its installed database here; `/usr/lib/apk/db` is the newer (usr-merged) location. */
export const APK_INSTALLED_PATHS: readonly string[] = ['/lib/apk/db/installed', '/usr/lib/apk/db/installed'];

/** Single-letter keys we keep (apk-tools `apk_db_index_read`): name, version, arch, origin, licence. */
const WANTED = new Set(['P', 'V', 'A', 'o', 'L']);

/** An entry's package, `undefined` for an entry without a name, `'skipped'` when it cannot be read. */
function toRecord(fields: Map<string, string>, warnings: string[]): OsPackageRecord | 'skipped' | undefined {
  const name = fields.get('P');
  if (!name) return undefined;
  const version = fields.get('V');
  if (!version) {
    addWarning(warnings, `package ${name} has no V: version: skipped`);
    return 'skipped';
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
 * Parses apk's `installed` database: blank-line separated entries of `K:value` lines. Linear in the input.
 * A damaged database is read as far as it is sound: an entry with NUL bytes or an over-long kept value is
 * dropped with a warning and counted in `skipped`, the entries around it still count. Throws
 * ANALYZER_PARSE_FAILED for content without any `K:value` line.
 */
export function parseApkInstalled(buf: Buffer, path = APK_INSTALLED_PATHS[0] ?? ''): ParsedPackages {
  const text = buf.toString('utf8');
  const packages: OsPackageRecord[] = [];
  const warnings: string[] = [];
  let unreadable = 0;
  const { sawField, dropped } = readStanzas(text, APK_FORMAT, warnings, (fields) => {
    const record = toRecord(fields, warnings);
    if (record === 'skipped') unreadable++;
    else if (record) packages.push(record);
  });
  if (!sawField && text.replace(/\0/g, '').trim() !== '')
    throw parseFailed(path, 'no K:value fields found: not an apk database');
  if (dropped > 0 && packages.length === 0 && unreadable === 0)
    throw parseFailed(path, `damaged beyond reading: no entry without NUL bytes or over-long fields`);
  const skipped = dropped + unreadable;
  return skipped > 0 ? { packages, warnings, skipped } : { packages, warnings };
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
