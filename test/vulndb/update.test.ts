import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPortcullisError } from '../../core/src/errors.js';
import { dbStatus, openVulnDb, updateDb } from '../../core/src/vulndb/index.js';
import { FIXTURES } from '../helpers/env.js';
import { makeZip } from './make-zip.js';

interface Record_ {
  id: string;
  modified: string;
  affected?: { package: { ecosystem: string; name?: string } }[];
  [k: string]: unknown;
}

/** An in-memory osv.dev bucket: `<Ecosystem>/all.zip`, `modified_id.csv` (newest first), `<ID>.json`. */
class Mirror {
  readonly records = new Map<string, Map<string, Record_>>();
  readonly requests: string[] = [];
  /** A mirror of only the all.zip files (some air-gapped copies are): no modified_id.csv. */
  withoutModifiedIds = false;

  put(dir: string, record: Record_): void {
    if (!this.records.has(dir)) this.records.set(dir, new Map());
    this.records.get(dir)?.set(record.id, record);
  }

  serve(path: string): { status: number; body: Buffer | string } {
    const m = /^\/([^/]+)\/(.+)$/.exec(path);
    const dir = this.records.get(decodeURIComponent(m?.[1] ?? ''));
    if (!m || !dir) return { status: 404, body: 'not found' };
    const file = decodeURIComponent(m[2] ?? '');
    const all = [...dir.values()];
    if (file === 'all.zip')
      return {
        status: 200,
        body: makeZip(all.map((r) => ({ name: `${r.id}.json`, data: JSON.stringify(r) }))),
      };
    if (file === 'modified_id.csv' && !this.withoutModifiedIds) {
      const lines = all
        .sort((a, b) => Date.parse(b.modified) - Date.parse(a.modified))
        .map((r) => `${new Date(Date.parse(r.modified)).toISOString()},${r.id}`);
      return { status: 200, body: `${lines.join('\n')}\n` };
    }
    const record = dir.get(file.replace(/\.json$/, ''));
    return record ? { status: 200, body: JSON.stringify(record) } : { status: 404, body: 'not found' };
  }
}

const load = (dir: string, file: string): Record_ =>
  JSON.parse(readFileSync(join(FIXTURES, 'osv', dir, file), 'utf8')) as Record_;

describe('updateDb', () => {
  const mirror = new Mirror();
  const work = mkdtempSync(join(tmpdir(), 'portcullis-update-'));
  const agent = new Agent();
  let server: Server;
  let base: string;

  beforeAll(async () => {
    for (const f of readdirSync(join(FIXTURES, 'osv', 'alpine-v3.11')))
      mirror.put('Alpine', load('alpine-v3.11', f));
    // Bare-name directories hold every release: add a v3.10 record that an Alpine:v3.11 update must filter out.
    mirror.put('Alpine', {
      ...load('alpine-v3.11', 'ALPINE-v3.11-CVE-2019-1551.json'),
      id: 'ALPINE-v3.10-CVE-2019-1551',
      affected: [{ package: { ecosystem: 'Alpine:v3.10', name: 'openssl' } }],
    });
    for (const f of ['PYSEC-2023-192.json', 'PYSEC-2023-74.json']) mirror.put('PyPI', load('records', f));
    server = createServer((req, res) => {
      mirror.requests.push(req.url ?? '');
      const { status, body } = mirror.serve(req.url ?? '/');
      res.writeHead(status).end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await agent.close();
    await new Promise((resolve) => server.close(resolve));
    rmSync(work, { recursive: true, force: true });
  });

  it('builds a DB from all.zip on first run, keeping only the wanted releases', async () => {
    const dbPath = join(work, 'db.sqlite');
    mirror.requests.length = 0;
    const result = await updateDb({
      dbPath,
      ecosystems: ['Alpine:v3.11', 'PyPI'],
      mirrorBaseUrl: base,
      dispatcher: agent,
    });
    expect(mirror.requests).toContain('/Alpine/all.zip');
    expect(mirror.requests).toContain('/PyPI/all.zip');
    expect(result.directories.Alpine?.mode).toBe('full');
    const alpineCount = readdirSync(join(FIXTURES, 'osv', 'alpine-v3.11')).length;
    expect(dbStatus(dbPath).byEcosystem).toEqual({ 'Alpine:v3.11': alpineCount, PyPI: 2 });
    expect(Object.keys(dbStatus(dbPath).updates).sort()).toEqual(['Alpine', 'PyPI']);
    // each mirror directory is credited with its own records, not the total
    expect(dbStatus(dbPath).sources.map((s) => [s.source, s.records])).toEqual([
      [`${base}/Alpine`, alpineCount],
      [`${base}/PyPI`, 2],
    ]);
  });

  it('then fetches only records modified since the last run, via modified_id.csv', async () => {
    const dbPath = join(work, 'db.sqlite');
    const fresh = {
      ...load('records', 'PYSEC-2023-192.json'),
      id: 'PYSEC-2099-1',
      modified: '2099-01-01T00:00:00Z',
    };
    mirror.put('PyPI', fresh);
    mirror.requests.length = 0;
    const result = await updateDb({
      dbPath,
      ecosystems: ['Alpine:v3.11', 'PyPI'],
      mirrorBaseUrl: base,
      dispatcher: agent,
    });
    expect(mirror.requests.sort()).toEqual([
      '/Alpine/modified_id.csv',
      '/PyPI/PYSEC-2099-1.json',
      '/PyPI/modified_id.csv',
    ]);
    expect(result.directories.PyPI).toEqual({
      mode: 'incremental',
      downloaded: 1,
      newest: '2099-01-01T00:00:00.000Z',
    });
    expect(result.directories.Alpine?.downloaded).toBe(0);
    const db = openVulnDb(dbPath);
    try {
      expect(
        db
          .findAffected('PyPI', 'urllib3')
          .map((r) => r.recordId)
          .sort(),
      ).toEqual(['PYSEC-2023-192', 'PYSEC-2099-1']);
    } finally {
      db.close();
    }
  });

  it('applies a withdrawal that arrives incrementally', async () => {
    const dbPath = join(work, 'db.sqlite');
    mirror.put('PyPI', {
      ...load('records', 'PYSEC-2023-192.json'),
      id: 'PYSEC-2099-1',
      modified: '2099-02-01T00:00:00Z',
      withdrawn: '2099-02-01T00:00:00Z',
    });
    await updateDb({ dbPath, ecosystems: ['PyPI', 'Alpine:v3.11'], mirrorBaseUrl: base, dispatcher: agent });
    expect(dbStatus(dbPath).byEcosystem.PyPI).toBe(2);
  });

  it('keeps the old DB when a download fails, with DB_DOWNLOAD_FAILED', async () => {
    const dbPath = join(work, 'db.sqlite');
    const before = readFileSync(dbPath);
    const err = await updateDb({ dbPath, ecosystems: ['npm'], mirrorBaseUrl: base, dispatcher: agent }).catch(
      (e: unknown) => e,
    );
    expect(isPortcullisError(err) && err.code).toBe('DB_DOWNLOAD_FAILED');
    expect(String((err as Error).message)).toMatch(/npm\/all\.zip: HTTP 404/);
    expect(readFileSync(dbPath).equals(before)).toBe(true);
  });

  it('suggests --full when a mirror has no modified_id.csv for an incremental update', async () => {
    const dbPath = join(work, 'zip-only.sqlite');
    mirror.withoutModifiedIds = true;
    try {
      // the first run downloads all.zip (no modified_id.csv needed), the second would be incremental
      await updateDb({ dbPath, ecosystems: ['PyPI'], mirrorBaseUrl: base, dispatcher: agent });
      const second = await updateDb({
        dbPath,
        ecosystems: ['PyPI'],
        mirrorBaseUrl: base,
        dispatcher: agent,
      }).catch((e: unknown) => e);
      expect(isPortcullisError(second) && second.code).toBe('DB_DOWNLOAD_FAILED');
      expect(String((second as Error).message)).toMatch(
        /PyPI\/modified_id\.csv: HTTP 404: .*cannot be updated incrementally; run `portcullis db update --full`/,
      );
      const full = await updateDb({
        dbPath,
        ecosystems: ['PyPI'],
        mirrorBaseUrl: base,
        dispatcher: agent,
        full: true,
      });
      expect(full.directories.PyPI?.mode).toBe('full');
    } finally {
      mirror.withoutModifiedIds = false;
    }
  });
});
