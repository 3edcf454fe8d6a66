import { existsSync } from 'node:fs';
import type { Dispatcher } from 'undici';
import { PortcullisError, isPortcullisError } from '../errors.js';
import { toEcosystemBase } from '../versions/index.js';
import { writeOsv } from './import.js';
import type { ImportResult, OsvInput, SkippedRecord } from './import.js';
import { META } from './schema.js';
import { openSqlite, type SqliteDb } from '../sqlite.js';
import { DEFAULT_ZIP_LIMITS, readZip } from './zip.js';

/** The public osv.dev export bucket over HTTPS. */
export const DEFAULT_MIRROR_BASE_URL = 'https://storage.googleapis.com/osv-vulnerabilities';

export interface UpdateOptions {
  dbPath: string;
  /** OSV ecosystems to keep (`PyPI`, `Go`, `Alpine:v3.11`, bare `Debian` for every release). */
  ecosystems: string[];
  /** Mirror of the osv.dev bucket layout: `<base>/<Ecosystem>/all.zip`, `modified_id.csv`, `<ID>.json`. */
  mirrorBaseUrl?: string;
  /** undici dispatcher (tests point it at loopback servers; proxies go here too). */
  dispatcher?: Dispatcher;
  /** Download every all.zip again even when the DB has update state. */
  full?: boolean;
  now?: () => Date;
  /** Largest all.zip accepted. */
  maxZipBytes?: number;
  /** Largest single record or modified_id.csv accepted. */
  maxFileBytes?: number;
  /** Passed to the import (throwing aborts and keeps the old DB). */
  onRecord?: (progress: { file: string; imported: number }) => void;
}

export interface UpdateResult extends ImportResult {
  /** Per export directory: how it was fetched and how many documents came down. */
  directories: Record<string, { mode: 'full' | 'incremental'; downloaded: number; newest?: string }>;
}

const DEFAULT_MAX_ZIP = 1024 ** 3;
const DEFAULT_MAX_FILE = 256 * 1024 ** 2;

/**
 * Updates (or creates) the DB from an osv.dev-style mirror. OS ecosystems are exported only under their
 * bare name (`Alpine/`), so each directory is fetched once and records are filtered on
 * `affected[].package.ecosystem`. With update state for a directory, only `modified_id.csv` (newest first)
 * is read down to the last seen time, and the changed records fetched one by one; otherwise `all.zip`.
 * All changes land in one atomic rebuild of the DB file.
 */
export async function updateDb(opts: UpdateOptions): Promise<UpdateResult> {
  const base = (opts.mirrorBaseUrl ?? DEFAULT_MIRROR_BASE_URL).replace(/\/+$/, '');
  const dirs = [...new Set(opts.ecosystems.map(toEcosystemBase))];
  if (dirs.length === 0) throw new PortcullisError('USAGE_INVALID', 'db update: no ecosystems given');
  const state = readUpdateState(opts.dbPath);
  const docs: (OsvInput | SkippedRecord)[] = [];
  const meta: Record<string, string> = {};
  const directories: UpdateResult['directories'] = {};
  const http = { dispatcher: opts.dispatcher, maxFile: opts.maxFileBytes ?? DEFAULT_MAX_FILE };

  for (const dir of dirs) {
    const dirUrl = `${base}/${encodeURIComponent(dir)}`;
    // The name db status shows for this directory (the sources list given to writeOsv below).
    const input = `${base}/${dir}`;
    const lastSeen = opts.full ? undefined : state[dir];
    if (lastSeen !== undefined) {
      const { ids, newest } = await readModifiedSince(
        `${dirUrl}/modified_id.csv`,
        Date.parse(lastSeen),
        http,
      ).catch((err: unknown) => {
        // a mirror of only the all.zip files cannot be updated incrementally: say how to go on
        if (isPortcullisError(err) && / HTTP 404$/.test(err.message))
          throw new PortcullisError(
            'DB_DOWNLOAD_FAILED',
            `${err.message}: this mirror has no modified_id.csv for ${dir}, so it cannot be updated incrementally; run \`portcullis db update --full\` to download ${dir}/all.zip again`,
            { cause: err },
          );
        throw err;
      });
      for (const id of ids) {
        const url = `${dirUrl}/${encodeURIComponent(id)}.json`;
        docs.push({ source: url, text: await download(url, http.maxFile, http.dispatcher), input });
      }
      directories[dir] = { mode: 'incremental', downloaded: ids.length, newest: newest ?? lastSeen };
      meta[`${META.updatePrefix}${dir}`] = newest ?? lastSeen;
    } else {
      const zipUrl = `${dirUrl}/all.zip`;
      const zip = await download(zipUrl, opts.maxZipBytes ?? DEFAULT_MAX_ZIP, http.dispatcher);
      let count = 0;
      let newestRecord = '';
      for (const entry of readZip(zip, zipUrl, DEFAULT_ZIP_LIMITS)) {
        if (!entry.name.endsWith('.json')) continue;
        docs.push({ source: `${zipUrl}!${entry.name}`, text: entry.data, input });
        newestRecord = maxTime(newestRecord, modifiedOf(entry.data));
        count++;
      }
      const { newest } = await readModifiedSince(`${dirUrl}/modified_id.csv`, Infinity, http).catch(() => ({
        newest: undefined,
      }));
      const mark = newest ?? (newestRecord || undefined);
      directories[dir] = { mode: 'full', downloaded: count, ...(mark ? { newest: mark } : {}) };
      if (mark) meta[`${META.updatePrefix}${dir}`] = mark;
    }
  }
  const result = writeOsv(
    opts.dbPath,
    docs,
    dirs.map((d) => `${base}/${d}`),
    {
      ecosystems: opts.ecosystems,
      meta,
      ...(opts.now ? { now: opts.now } : {}),
      ...(opts.onRecord ? { onRecord: opts.onRecord } : {}),
    },
  );
  return { ...result, directories };
}

function maxTime(a: string, b: string | undefined): string {
  if (!b || Number.isNaN(Date.parse(b))) return a;
  return !a || Date.parse(b) > Date.parse(a) ? b : a;
}

function modifiedOf(data: Buffer): string | undefined {
  try {
    const m = (JSON.parse(data.toString()) as { modified?: unknown }).modified;
    return typeof m === 'string' ? new Date(Date.parse(m)).toISOString() : undefined;
  } catch {
    return undefined;
  }
}

function readUpdateState(dbPath: string): Record<string, string> {
  if (!existsSync(dbPath)) return {};
  let db: SqliteDb | undefined;
  try {
    db = openSqlite(dbPath, { readonly: true, fileMustExist: true });
    const rows = db
      .prepare('SELECT key, value FROM meta WHERE key LIKE ?')
      .all(`${META.updatePrefix}%`) as unknown as {
      key: string;
      value: string;
    }[];
    return Object.fromEntries(rows.map((r) => [r.key.slice(META.updatePrefix.length), r.value]));
  } catch (err) {
    throw new PortcullisError(
      'DB_INVALID',
      `${dbPath} is not a Portcullis vulnerability DB: ${(err as Error).message}`,
      { cause: err },
    );
  } finally {
    db?.close();
  }
}

/**
 * Streams `modified_id.csv` (lines `<ISO time>,<ID>`, newest first) and returns the IDs modified after
 * `since` (ms), stopping at the first line at or before it, plus the newest time in the file.
 */
async function readModifiedSince(
  url: string,
  since: number,
  http: { dispatcher: Dispatcher | undefined; maxFile: number },
): Promise<{ ids: string[]; newest: string | undefined }> {
  const res = await get(url, http.dispatcher);
  const ids: string[] = [];
  let newest: string | undefined;
  let rest = '';
  let bytes = 0;
  let done = false;
  // Stopping early destroys the body, which then emits an AbortError nobody needs.
  res.body.on('error', () => {});
  try {
    for await (const chunk of res.body) {
      bytes += (chunk as Buffer).length;
      if (bytes > http.maxFile) throw downloadError(url, `larger than ${http.maxFile} bytes`);
      const lines = (rest + (chunk as Buffer).toString('utf8')).split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) if ((done = takeLine(line))) break;
      if (done) break;
    }
    if (!done && rest !== '') takeLine(rest);
  } finally {
    discard(res.body);
  }
  return { ids, newest };

  function takeLine(line: string): boolean {
    const text = line.trim();
    if (text === '') return false;
    const comma = text.indexOf(',');
    const time = Date.parse(text.slice(0, comma));
    const id = text.slice(comma + 1);
    if (comma < 0 || Number.isNaN(time) || id === '')
      throw downloadError(url, `bad line ${JSON.stringify(text.slice(0, 100))}`);
    newest ??= new Date(time).toISOString();
    if (time <= since) return true;
    // Top-level files prefix IDs with their directory; per-ecosystem files do not.
    ids.push(id.slice(id.lastIndexOf('/') + 1));
    return false;
  }
}

async function get(url: string, dispatcher: Dispatcher | undefined): Promise<Dispatcher.ResponseData> {
  let res: Dispatcher.ResponseData;
  try {
    res = await (
      await import('undici')
    ).request(url, { method: 'GET', ...(dispatcher ? { dispatcher } : {}) });
  } catch (err) {
    throw new PortcullisError('DB_DOWNLOAD_FAILED', `GET ${url}: ${(err as Error).message}`, { cause: err });
  }
  if (res.statusCode !== 200) {
    discard(res.body);
    throw downloadError(url, `HTTP ${res.statusCode}`);
  }
  return res;
}

/** Downloads a whole body, refusing more than `max` bytes (checked as it streams, not after). */
async function download(url: string, max: number, dispatcher: Dispatcher | undefined): Promise<Buffer> {
  const res = await get(url, dispatcher);
  const declared = Number(res.headers['content-length']);
  if (declared > max) {
    discard(res.body);
    throw downloadError(url, `larger than ${max} bytes`);
  }
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of res.body) {
      total += (chunk as Buffer).length;
      if (total > max) throw downloadError(url, `larger than ${max} bytes`);
      chunks.push(chunk as Buffer);
    }
  } catch (err) {
    discard(res.body);
    throw isPortcullisError(err)
      ? err
      : new PortcullisError('DB_DOWNLOAD_FAILED', `GET ${url}: ${(err as Error).message}`, { cause: err });
  }
  return Buffer.concat(chunks);
}

// Destroying an undici body emits an AbortError; nobody is listening for it any more.
function discard(body: Dispatcher.ResponseData['body']): void {
  body.on('error', () => {});
  body.destroy();
}

function downloadError(url: string, message: string): PortcullisError {
  return new PortcullisError('DB_DOWNLOAD_FAILED', `GET ${url}: ${message}`);
}
