import type { Analyzer } from '../analyzer.js';
import { MAX_FIELD_LENGTH, addWarning, analyzeSafely, parseFailed } from './record.js';
import type { OsPackageRecord, ParsedPackages } from './record.js';

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
  let fields = new Map<string, string>();
  let poisoned = false;
  let sawField = false;

  const flush = (): void => {
    if (fields.size > 0 && !poisoned) {
      const record = toRecord(fields, warnings);
      if (record) packages.push(record);
    }
    fields = new Map();
    poisoned = false;
  };

  let pos = 0;
  while (pos <= text.length) {
    let end = text.indexOf('\n', pos);
    if (end === -1) end = text.length;
    const line = text.slice(pos, end > pos && text[end - 1] === '\r' ? end - 1 : end);
    pos = end + 1;
    if (line === '') {
      flush();
      continue;
    }
    if (line.length < 2 || line[1] !== ':') {
      addWarning(warnings, `ignored a line that is not a K:value field (${line.length} bytes)`);
      continue;
    }
    sawField = true;
    const key = line[0] ?? '';
    if (!WANTED.has(key)) continue;
    const value = line.slice(2);
    if (value.length > MAX_FIELD_LENGTH) {
      addWarning(warnings, `field ${key}: is ${value.length} bytes long: entry skipped`);
      poisoned = true;
      continue;
    }
    // A second P: without a blank line means the previous entry ended (seen in hand-edited databases).
    if (key === 'P' && fields.has('P')) flush();
    fields.set(key, value);
  }
  flush();
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
