import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { PortcullisError, isPortcullisError, wrapError } from '../errors.js';
import { toEcosystemBase } from '../versions/index.js';
import { createAliasWriter } from './alias-tables.js';
import { toNvdCves } from './nvd.js';
import { normalizePackageName, parseOsvRecord, toRecordEcosystems } from './osv.js';
import type { OsvAffected, OsvRecord } from './osv.js';
import { DB_SCHEMA_VERSION, META, createSchema } from './schema.js';
import { openSqlite, type SqliteDb } from '../sqlite.js';
import { DEFAULT_ZIP_LIMITS, readZipFile } from './zip.js';
import type { ZipLimits } from './zip.js';

/** A record that was not imported, and why. */
export interface SkippedRecord {
  /** File (or `zip!entry`) the record came from. */
  file: string;
  reason: string;
}

export interface ImportResult {
  imported: number;
  /** NVD CVE records (API 2.0 JSON) imported for severity by alias; counted apart from OSV records. */
  cves: number;
  /** Withdrawn records seen (not stored; removed from the DB if present). */
  withdrawn: number;
  skipped: SkippedRecord[];
  /** Records imported per ecosystem (a record affecting two ecosystems counts in both). */
  byEcosystem: Record<string, number>;
  /** Records imported from each input (directory, zip or mirror directory), keyed as given. */
  bySource: Record<string, number>;
}

export interface ImportOptions {
  /** Called after each record is written; throwing aborts the import and leaves the old DB in place. */
  onRecord?: (progress: { file: string; imported: number }) => void;
  /** Keep only records affecting one of these ecosystems (`Debian:12`; a bare `Debian` keeps all releases). */
  ecosystems?: string[];
  /** Clock for the build time (tests). */
  now?: () => Date;
  zipLimits?: ZipLimits;
  /** Largest single JSON file read. */
  maxFileBytes?: number;
  /** Extra meta entries written in the same transaction (`db update` bookkeeping). */
  meta?: Record<string, string>;
  /**
   * Refuse an input in which no OSV record could be read (`db import` of a file that is not OSV); `db update`
   * leaves it off, as an incremental update may legitimately bring nothing.
   */
  requireRecords?: boolean;
}

/** One OSV document to import, already read. */
export interface OsvInput {
  source: string;
  text: string | Buffer;
  /** The input (one of the `sources` given to writeOsv) this document came from; counted per source. */
  input?: string;
}

const DEFAULT_MAX_FILE_BYTES = 64 * 1024 ** 2;

/**
 * Imports OSV records from directories (recursive `*.json`) and `.zip` dumps into the SQLite DB at
 * `dbPath`. The DB is built in a temporary file beside it (a copy of the existing DB, if any) and
 * renamed into place only when everything is written: a crash never leaves a half-built DB.
 */
export function importOsv(dbPath: string, inputs: string[], opts: ImportOptions = {}): ImportResult {
  for (const input of inputs) {
    if (!existsSync(input)) throw new PortcullisError('DB_IMPORT_FAILED', `OSV input not found: ${input}`);
  }
  return writeOsv(dbPath, iterateInputs(inputs, opts), inputs, { requireRecords: true, ...opts });
}

/** Same as importOsv, for records already in memory (used by `db update`). */
export function writeOsv(
  dbPath: string,
  docs: Iterable<OsvInput | SkippedRecord>,
  sources: string[],
  opts: ImportOptions = {},
): ImportResult {
  const tmp = join(dirname(dbPath), `.${basename(dbPath)}.${process.pid}.${Date.now()}.tmp`);
  let db: SqliteDb | undefined;
  try {
    // a fresh machine has no ~/.cache/portcullis yet
    mkdirSync(dirname(dbPath), { recursive: true });
    if (existsSync(dbPath)) copyFileSync(dbPath, tmp);
    db = openSqlite(tmp);
    db.exec('PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF');
    createSchema(db);
    const version = db.prepare('SELECT value FROM meta WHERE key = ?').value(META.schemaVersion);
    if (version !== undefined && version !== String(DB_SCHEMA_VERSION)) {
      throw new PortcullisError(
        'DB_INVALID',
        `${dbPath}: schema version ${String(version)}, expected ${DB_SCHEMA_VERSION}; delete it and import again`,
      );
    }
    const result = db.transaction(() => writeRecords(db as SqliteDb, docs, sources, opts));
    db.close();
    db = undefined;
    renameSync(tmp, dbPath);
    return result;
  } catch (err) {
    db?.close();
    rmSync(tmp, { force: true });
    throw isPortcullisError(err) ? err : wrapError(err, `importing OSV into ${dbPath}`, 'DB_IMPORT_FAILED');
  }
}

function writeRecords(
  db: SqliteDb,
  docs: Iterable<OsvInput | SkippedRecord>,
  sources: string[],
  opts: ImportOptions,
): ImportResult {
  const deleteAffected = db.prepare('DELETE FROM affected WHERE record_id = ?');
  const deleteRecord = db.prepare('DELETE FROM records WHERE id = ?');
  const insertRecord = db.prepare(
    'INSERT INTO records (id, modified, aliases, severity, json) VALUES (?, ?, ?, ?, ?)',
  );
  const insertAffected = db.prepare(
    'INSERT INTO affected (record_id, ecosystem, name, data) VALUES (?, ?, ?, ?)',
  );
  const setMeta = db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)');
  const keep = opts.ecosystems ? createEcosystemFilter(opts.ecosystems) : undefined;
  const aliasWriter = createAliasWriter(db);
  aliasWriter.backfill();
  const result: ImportResult = {
    imported: 0,
    cves: 0,
    withdrawn: 0,
    skipped: [],
    byEcosystem: {},
    bySource: Object.fromEntries(sources.map((s) => [s, 0])),
  };
  const inputOf = createInputResolver(sources);
  /** OSV records (or NVD CVE records) read per input, filtered or not: an input with none is refused. */
  const parsed = new Map<string, number>();
  const firstSkip = new Map<string, string>();

  for (const doc of docs) {
    if (!('text' in doc)) {
      result.skipped.push(doc);
      const input = inputOf(doc.file);
      if (input !== undefined && !firstSkip.has(input)) firstSkip.set(input, `${doc.file}: ${doc.reason}`);
      continue;
    }
    let record: OsvRecord;
    try {
      const json: unknown = JSON.parse(doc.text.toString());
      const cves = toNvdCves(json);
      if (cves) {
        for (const cve of cves) aliasWriter.writeCve(cve);
        result.cves += cves.length;
        const from = doc.input ?? inputOf(doc.source);
        if (from !== undefined) {
          result.bySource[from] = (result.bySource[from] ?? 0) + cves.length;
          parsed.set(from, (parsed.get(from) ?? 0) + cves.length);
        }
        continue;
      }
      record = parseOsvRecord(json, doc.source);
    } catch (err) {
      const reason = isPortcullisError(err)
        ? err.message.replace(`${doc.source}: `, '')
        : `bad JSON: ${(err as Error).message}`;
      result.skipped.push({ file: doc.source, reason });
      const input = doc.input ?? inputOf(doc.source);
      if (input !== undefined && !firstSkip.has(input)) firstSkip.set(input, `${doc.source}: ${reason}`);
      continue;
    }
    {
      const input = doc.input ?? inputOf(doc.source);
      if (input !== undefined) parsed.set(input, (parsed.get(input) ?? 0) + 1);
    }
    if (keep && !(record.affected ?? []).some((a) => keep(a.package.ecosystem))) continue;
    deleteAffected.run(record.id);
    deleteRecord.run(record.id);
    aliasWriter.setAliases(
      record.id,
      record.withdrawn ? [] : [...(record.aliases ?? []), ...(record.upstream ?? [])],
    );
    if (record.withdrawn) {
      result.withdrawn++;
      continue;
    }
    insertRecord.run(
      record.id,
      record.modified,
      JSON.stringify([...new Set([...(record.aliases ?? []), ...(record.upstream ?? [])])]),
      JSON.stringify(record.severity ?? []),
      // affected[] lives in its own rows; the rest of the record is kept whole for reports.
      JSON.stringify({ ...record, affected: undefined }),
    );
    for (const a of record.affected ?? []) {
      if (keep && !keep(a.package.ecosystem)) continue;
      insertAffected.run(
        record.id,
        a.package.ecosystem,
        normalizePackageName(a.package.ecosystem, a.package.name),
        JSON.stringify(toStoredAffected(a)),
      );
    }
    for (const eco of toRecordEcosystems(record))
      result.byEcosystem[eco] = (result.byEcosystem[eco] ?? 0) + 1;
    const input = doc.input ?? inputOf(doc.source);
    if (input !== undefined) result.bySource[input] = (result.bySource[input] ?? 0) + 1;
    result.imported++;
    opts.onRecord?.({ file: doc.source, imported: result.imported });
  }

  if (opts.requireRecords) {
    const empty = sources.filter((s) => (parsed.get(s) ?? 0) === 0);
    if (empty.length > 0)
      throw new PortcullisError(
        'DB_IMPORT_NOT_OSV',
        empty
          .map(
            (s) =>
              `${s} holds no OSV (or NVD CVE) record${firstSkip.has(s) ? ` (${firstSkip.get(s) as string})` : ' (no .json files in it)'}`,
          )
          .join('; ') + ': nothing was imported, the DB is unchanged',
      );
  }
  const now = (opts.now?.() ?? new Date()).toISOString();
  const previous = db.prepare('SELECT value FROM meta WHERE key = ?').value(META.sources) as
    string | undefined;
  const history = previous ? (JSON.parse(previous) as unknown[]) : [];
  history.push(
    ...sources.map((source) => ({ source, importedAt: now, records: result.bySource[source] ?? 0 })),
  );
  setMeta.run(META.schemaVersion, String(DB_SCHEMA_VERSION));
  setMeta.run(META.builtAt, now);
  setMeta.run(META.sources, JSON.stringify(history.slice(-50)));
  for (const [k, v] of Object.entries(opts.meta ?? {})) setMeta.run(k, v);
  return result;
}

/**
 * The part of an affected[] entry matching and reports use. Go's symbol lists and other
 * ecosystem/database extras can be large and are parsed on every cold lookup, so only their
 * `severity` is kept; GIT ranges need a commit to evaluate and are dropped.
 */
function toStoredAffected(a: OsvAffected): OsvAffected {
  const out: OsvAffected = { package: a.package };
  const ranges = a.ranges?.filter((r) => r.type !== 'GIT');
  if (ranges?.length) out.ranges = ranges;
  if (a.versions?.length) out.versions = a.versions;
  if (a.severity?.length) out.severity = a.severity;
  if (a.ecosystem_specific?.severity !== undefined)
    out.ecosystem_specific = { severity: a.ecosystem_specific.severity };
  if (a.database_specific?.severity !== undefined)
    out.database_specific = { severity: a.database_specific.severity };
  return out;
}

/**
 * For documents that do not name their input: the given source that is the document itself, its
 * directory (`dir/…`) or its zip (`file.zip!entry`), longest first so nested inputs are told apart.
 */
function createInputResolver(sources: string[]): (docSource: string) => string | undefined {
  const bySpecificity = [...sources].sort((a, b) => b.length - a.length);
  return (docSource) =>
    bySpecificity.find(
      (s) => docSource === s || docSource.startsWith(`${s}/`) || docSource.startsWith(`${s}!`),
    ) ?? (sources.length === 1 ? sources[0] : undefined);
}

/** `Debian:12` keeps exactly that; a bare `Debian` keeps every release. */
export function createEcosystemFilter(wanted: string[]): (ecosystem: string) => boolean {
  const exact = new Set(wanted);
  return (ecosystem) => exact.has(ecosystem) || exact.has(toEcosystemBase(ecosystem));
}

function* iterateInputs(inputs: string[], opts: ImportOptions): Generator<OsvInput | SkippedRecord> {
  const maxFileBytes = opts.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  for (const input of inputs) {
    if (statSync(input).isDirectory()) {
      for (const file of walkJson(input)) {
        const size = statSync(file).size;
        if (size > maxFileBytes) yield { file, reason: `larger than ${maxFileBytes} bytes` };
        else yield { source: file, text: readFileSync(file), input };
      }
    } else if (input.endsWith('.zip')) {
      for (const entry of readZipFile(input, opts.zipLimits ?? DEFAULT_ZIP_LIMITS)) {
        if (entry.name.endsWith('.json')) yield { source: `${input}!${entry.name}`, text: entry.data, input };
      }
    } else {
      yield { source: input, text: readFileSync(input), input };
    }
  }
}

function* walkJson(dir: string): Generator<string> {
  const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1));
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* walkJson(p);
    else if (e.isFile() && e.name.endsWith('.json')) yield p;
  }
}
