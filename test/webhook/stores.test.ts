import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Redis } from 'ioredis';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createMemoryStore,
  createRedisStore,
  createSqliteStore,
  createVerdictStore,
  type VerdictStore,
} from '../../webhook/src/index.js';
import { toScanProjection } from '../../core/src/index.js';
import { skipReason } from '../helpers/env.js';
import { haveRedis, startRedis, type RunningRedis } from '../helpers/redis.js';
import {
  MULTI_REF as MULTI,
  MIN_REF as MIN,
  MIN_DIGEST,
  MULTI_DIGEST,
  podRequest,
  readScan,
  testApp,
  toReview,
  toStored,
} from './helpers.js';

const digestsOf = (entries: { digest: string }[]): string[] => entries.map((e) => e.digest).sort();

/**
 * The reverse index (`affected`): by id and by alias, case-insensitive; a replaced result leaves no stale key;
 * deleted results leave the index too.
 */
async function checkAdvisoryIndex(s: VerdictStore): Promise<void> {
  const multi = readScan('multi');
  await s.put({ ...toStored(multi), storedAt: '2026-03-01T00:00:00.000Z' });
  await s.put({ ...toStored(readScan('min')), storedAt: '2026-01-01T00:00:00.000Z' });
  expect(digestsOf(await s.findByAdvisory('CVE-2010-4756'))).toEqual([MULTI_DIGEST, MIN_DIGEST].sort());
  // GO-2023-1840 is only in multi, with the alias CVE-2023-29403: either name finds it, in any case
  expect(digestsOf(await s.findByAdvisory('GO-2023-1840'))).toEqual([MULTI_DIGEST]);
  expect(digestsOf(await s.findByAdvisory('cve-2023-29403'))).toEqual([MULTI_DIGEST]);
  expect(await s.findByAdvisory('CVE-1999-0001')).toEqual([]);
  // the hit carries what `affected` prints: the reference and the package with its fix
  const go = multi.findings.find((f) => f.id === 'GO-2023-1840');
  expect(await s.findByAdvisory('CVE-2023-29403')).toEqual([
    {
      digest: MULTI_DIGEST,
      reference: multi.image.ref,
      packages: [
        {
          name: go?.package?.name,
          version: go?.package?.version,
          ecosystem: go?.package?.ecosystem,
          fixedVersion: go?.package?.fixedVersion,
        },
      ],
    },
  ]);
  // multi stored again without the Go finding (re-matched): neither its id nor its alias finds it any more
  const without = { ...multi, findings: multi.findings.filter((f) => f.id !== 'GO-2023-1840') };
  await s.put({ ...toStored(without), storedAt: '2026-03-02T00:00:00.000Z' });
  expect(await s.findByAdvisory('GO-2023-1840')).toEqual([]);
  expect(await s.findByAdvisory('CVE-2023-29403')).toEqual([]);
  expect(digestsOf(await s.findByAdvisory('CVE-2010-4756'))).toEqual([MULTI_DIGEST, MIN_DIGEST].sort());
  // retention removes min: the index no longer names it
  expect(await s.deleteStoredBefore('2026-02-01T00:00:00.000Z')).toBe(1);
  expect(digestsOf(await s.findByAdvisory('CVE-2010-4756'))).toEqual([MULTI_DIGEST]);
  expect(digestsOf(await s.findByAdvisory('CVE-2011-3374'))).toEqual([MULTI_DIGEST]);
}

/** The same contract for every store. */
/**
 * Projections (`listProjections`): written by `put` beside the result, replaced with it, deleted with it; no
 * package inventory or evidence, and the findings the image lists evaluate.
 */
async function checkProjections(s: VerdictStore): Promise<void> {
  const multi = readScan('multi');
  await s.put({ ...toStored(multi), storedAt: '2026-01-01T00:00:00.000Z' });
  await s.put({ ...toStored(readScan('min')), storedAt: '2026-03-01T00:00:00.000Z' });
  const byDigest = async () => new Map((await s.listProjections()).map((e) => [e.digest, e]));
  const listed = await byDigest();
  expect([...listed.keys()].sort()).toEqual([MULTI_DIGEST, MIN_DIGEST].sort());
  const p = listed.get(MULTI_DIGEST);
  expect(p?.scan).toEqual(toScanProjection(multi));
  expect(p?.scan.packages).toEqual([]);
  expect(p?.storedAt).toBe('2026-01-01T00:00:00.000Z');
  // the full result is still there for the detail page
  expect((await s.get(MULTI_DIGEST))?.scan.packages.length).toBe(multi.packages.length);
  // replaced: the projection follows the new result
  const fewer = { ...multi, findings: multi.findings.slice(0, 2) };
  await s.put({ ...toStored(fewer), storedAt: '2026-03-02T00:00:00.000Z' });
  expect((await byDigest()).get(MULTI_DIGEST)?.scan.findings.map((f) => f.id)).toEqual(
    fewer.findings.map((f) => f.id),
  );
  // deleted: gone from the projections too
  await s.put({ ...toStored(multi), storedAt: '2026-01-01T00:00:00.000Z' });
  expect(await s.deleteStoredBefore('2026-02-01T00:00:00.000Z')).toBe(1);
  expect([...(await byDigest()).keys()]).toEqual([MIN_DIGEST]);
}

/**
 * Named snapshots (the console's image index saves its evaluated rows): a miss before the first save, the last
 * save wins with its time, names do not share a snapshot, and `reopen` (when given) reads what was saved.
 */
async function checkSnapshots(s: VerdictStore, reopen?: () => Promise<VerdictStore>): Promise<void> {
  expect(await s.readSnapshot('index')).toBeUndefined();
  const before = new Date().toISOString();
  await s.saveSnapshot('index', '{"n":1}');
  await s.saveSnapshot('index', '{"n":2}');
  await s.saveSnapshot('other', '{"o":true}');
  const got = await s.readSnapshot('index');
  expect(got?.body).toBe('{"n":2}');
  expect(got && got.savedAt >= before && got.savedAt <= new Date().toISOString()).toBe(true);
  expect((await s.readSnapshot('other'))?.body).toBe('{"o":true}');
  expect(await s.readSnapshot('missing')).toBeUndefined();
  // a body of several megabytes (10,000 evaluated images) is kept whole
  const large = JSON.stringify({
    rows: Array.from({ length: 20_000 }, (_, i) => `row-${i}-${'x'.repeat(100)}`),
  });
  await s.saveSnapshot('large', large);
  expect((await s.readSnapshot('large'))?.body).toBe(large);
  if (reopen) {
    const again = await reopen();
    expect((await again.readSnapshot('index'))?.body).toBe('{"n":2}');
    await again.close();
  }
}

function storeContract(name: string, open: () => Promise<VerdictStore> | VerdictStore): void {
  describe(`${name} store`, () => {
    it('stores and returns scans by digest, and misses unknown digests', async () => {
      const s = await open();
      await s.put(toStored(readScan('multi')));
      const got = await s.get(MULTI_DIGEST);
      expect(got?.scan.findings.map((f) => f.id)).toEqual(readScan('multi').findings.map((f) => f.id));
      expect(got?.scannedAt).toBe('2026-11-27T15:52:00Z');
      expect(await s.get(MIN_DIGEST)).toBeUndefined();
      await s.ping();
      await s.close();
    });

    it('deletes results last stored before a cutoff (vulnerability retention), and keeps newer ones', async () => {
      const s = await open();
      const multi = readScan('multi');
      const min = readScan('min');
      await s.put({ ...toStored(multi), storedAt: '2026-01-01T00:00:00.000Z' });
      await s.put({ ...toStored(min), storedAt: '2026-03-01T00:00:00.000Z' });
      expect(await s.deleteStoredBefore('2026-02-01T00:00:00.000Z')).toBe(1);
      expect(await s.get(MULTI_DIGEST)).toBeUndefined();
      expect((await s.get(MIN_DIGEST))?.digest).toBe(MIN_DIGEST);
      // seen again (stored anew) after the cutoff: kept
      await s.put({ ...toStored(multi), storedAt: '2026-03-02T00:00:00.000Z' });
      expect(await s.deleteStoredBefore('2026-02-01T00:00:00.000Z')).toBe(0);
      expect((await s.get(MULTI_DIGEST))?.digest).toBe(MULTI_DIGEST);
      await s.close();
    });

    it('lists every stored result (the scan service reads them), and not deleted ones', async () => {
      const s = await open();
      await s.put({ ...toStored(readScan('multi')), storedAt: '2026-01-01T00:00:00.000Z' });
      await s.put({ ...toStored(readScan('min')), storedAt: '2026-03-01T00:00:00.000Z' });
      const digests = (await s.list()).map((e) => e.digest);
      expect(digests).toContain(MULTI_DIGEST);
      expect(digests).toContain(MIN_DIGEST);
      expect((await s.list()).find((e) => e.digest === MIN_DIGEST)?.scan.packages.length).toBe(
        readScan('min').packages.length,
      );
      await s.deleteStoredBefore('2026-02-01T00:00:00.000Z');
      const after = (await s.list()).map((e) => e.digest);
      expect(after).not.toContain(MULTI_DIGEST);
      expect(after).toContain(MIN_DIGEST);
      await s.close();
    });

    it('finds results by advisory id or alias from its reverse index, never a replaced or deleted one', async () => {
      const s = await open();
      await checkAdvisoryIndex(s);
      await s.close();
    });

    it('lists projections of the stored results, replaced and deleted with them', async () => {
      const s = await open();
      await checkProjections(s);
      await s.close();
    });

    it('saves and reads named snapshots, the last save of a name winning', async () => {
      const s = await open();
      await checkSnapshots(s);
      await s.close();
    });

    it('claims a key once', async () => {
      const s = await open();
      const key = `jti:test:${Math.random()}`;
      expect(await s.claimOnce(key, 60)).toBe(true);
      expect(await s.claimOnce(key, 60)).toBe(false);
      expect(await s.claimOnce(`${key}-other`, 60)).toBe(true);
      await s.close();
    });
  });
}

storeContract('memory', () => createMemoryStore());

describe('memory and sqlite claims expire', () => {
  it('frees a claimed key after its TTL', async () => {
    let t = 0;
    const dir = mkdtempSync(join(tmpdir(), 'pc-claims-'));
    for (const s of [
      createMemoryStore({ now: () => t }),
      createSqliteStore(join(dir, 'c.sqlite'), { now: () => t }),
    ]) {
      t = 0;
      expect(await s.claimOnce('k', 10)).toBe(true);
      t = 9_000;
      expect(await s.claimOnce('k', 10)).toBe(false);
      t = 10_001;
      expect(await s.claimOnce('k', 10)).toBe(true);
      await s.close();
    }
    rmSync(dir, { recursive: true, force: true });
  });
});

/** A store file as versions before the reverse index and projections wrote it: the multi scan and a corrupt row. */
function writeOldSqliteStore(path: string): void {
  const old = new Database(path);
  old.exec(`CREATE TABLE scans (digest TEXT PRIMARY KEY, scanned_at TEXT NOT NULL, body TEXT NOT NULL);
            CREATE TABLE claims (key TEXT PRIMARY KEY, expires INTEGER NOT NULL);`);
  const insert = old.prepare('INSERT INTO scans (digest, scanned_at, body) VALUES (?, ?, ?)');
  insert.run(MULTI_DIGEST, 'x', JSON.stringify(toStored(readScan('multi'))));
  insert.run('sha256:corrupt', 'x', '{not json');
  old.close();
}

describe('sqlite store', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pc-sqlite-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  storeContract('sqlite', () => createSqliteStore(join(dir, `s-${Math.random()}.sqlite`)));

  it('lists projections across its read pages (1,000 rows each) once each, with unprojected rows', async () => {
    const path = join(dir, `pages-${Math.random()}.sqlite`);
    const s = createSqliteStore(path);
    const base = toStored(readScan('min'));
    const digests = Array.from({ length: 2_345 }, (_, i) => `sha256:${i.toString(16).padStart(64, '0')}`);
    for (const digest of digests) await s.put({ ...base, digest });
    // a row an older version stored (no projection) is listed too, projected
    const db = new Database(path);
    db.prepare('DELETE FROM scan_projections WHERE digest = ?').run(digests[1500]);
    db.close();
    const listed = (await s.listProjections()).map((e) => e.digest);
    expect(listed).toHaveLength(digests.length);
    expect([...listed].sort()).toEqual(digests);
    await s.close();
  });

  it('keeps saved snapshots across a reopen of the file', async () => {
    const path = join(dir, `snap-${Math.random()}.sqlite`);
    const s = createSqliteStore(path);
    await checkSnapshots(s, async () => createSqliteStore(path));
    await s.close();
  });

  it('survives a restart: a new app on the same file decides from the stored scan', async () => {
    const path = join(dir, 'restart.sqlite');
    const first = createVerdictStore({ kind: 'sqlite', path });
    await first.put(toStored(readScan('multi')));
    await first.claimOnce('jti:x', 3600);
    await first.close();
    const second = createSqliteStore(path);
    const { app } = testApp(second);
    const res = await request(app)
      .post('/validate')
      .send(toReview(podRequest([MULTI])))
      .expect(200);
    expect(res.body.response.allowed).toBe(false);
    expect(res.body.response.status.message).toContain('PCS-SECRET-PRIVATE-KEY');
    expect(await second.claimOnce('jti:x', 3600)).toBe(false);
    await second.close();
  });

  it('treats a corrupt row as a miss, and a closed database as a store failure', async () => {
    const path = join(dir, 'corrupt.sqlite');
    const s = createSqliteStore(path);
    const db = new Database(path);
    db.prepare('INSERT INTO scans (digest, scanned_at, body) VALUES (?, ?, ?)').run(
      MIN_DIGEST,
      'x',
      '{not json',
    );
    db.close();
    expect(await s.get(MIN_DIGEST)).toBeUndefined();
    await s.close();
    await expect(s.get(MIN_DIGEST)).rejects.toMatchObject({ code: 'WEBHOOK_STORE_UNAVAILABLE' });
  });

  it('indexes a file written before the reverse index existed, once, when it is opened', async () => {
    const path = join(dir, 'old.sqlite');
    writeOldSqliteStore(path);
    const s = createSqliteStore(path);
    expect(digestsOf(await s.findByAdvisory('cve-2023-29403'))).toEqual([MULTI_DIGEST]);
    expect(await s.findByAdvisory('CVE-1999-0001')).toEqual([]);
    await s.close();
    // opened again: indexed once, still found
    const again = createSqliteStore(path);
    expect(digestsOf(await again.findByAdvisory('GO-2023-1840'))).toEqual([MULTI_DIGEST]);
    await again.close();
  });

  it('projects a file written before projections existed, once, and results an older version stores later', async () => {
    const path = join(dir, 'old-projections.sqlite');
    writeOldSqliteStore(path);
    const s = createSqliteStore(path);
    expect((await s.listProjections()).map((e) => [e.digest, e.scan])).toEqual([
      [MULTI_DIGEST, toScanProjection(readScan('multi'))],
    ]);
    const db = new Database(path);
    expect(db.prepare('SELECT digest FROM scan_projections').all()).toEqual([{ digest: MULTI_DIGEST }]);
    // a process of the older version stores a result without its projection: listed, projected when read
    db.prepare('INSERT INTO scans (digest, scanned_at, body) VALUES (?, ?, ?)').run(
      MIN_DIGEST,
      'x',
      JSON.stringify(toStored(readScan('min'))),
    );
    db.close();
    const listed = await s.listProjections();
    expect(listed.map((e) => e.digest).sort()).toEqual([MULTI_DIGEST, MIN_DIGEST].sort());
    expect(listed.find((e) => e.digest === MIN_DIGEST)?.scan).toEqual(toScanProjection(readScan('min')));
    await s.close();
  });

  it('refuses a path it cannot open', () => {
    expect(() => createSqliteStore('/nonexistent-dir/x/y.sqlite')).toThrow(/opening verdict store/);
  });
});

describe.skipIf(!haveRedis && skipReason('redis-server is not installed'))(
  'redis store (real redis-server)',
  () => {
    let port = 0;
    let redis: RunningRedis | undefined;
    const stores: VerdictStore[] = [];

    const restartRedis = async (): Promise<void> => {
      redis = await startRedis(port);
    };
    const stopRedis = async (): Promise<void> => redis?.kill();

    beforeAll(async () => {
      redis = await startRedis();
      port = redis.port;
    });
    afterAll(async () => {
      for (const s of stores) await s.close();
      await stopRedis();
    });

    const open = (keyPrefix = 'test:'): VerdictStore => {
      const s = createRedisStore({ url: `redis://127.0.0.1:${port}`, keyPrefix, commandTimeoutMs: 300 });
      stores.push(s);
      return s;
    };

    async function until(fn: () => Promise<boolean>, what: string): Promise<void> {
      for (let i = 0; i < 200; i++) {
        if (await fn().catch(() => false)) return;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`timed out waiting for ${what}`);
    }

    it('satisfies the store contract', async () => {
      const s = open();
      await until(async () => (await s.ping(), true), 'redis connection');
      await s.put(toStored(readScan('multi')));
      expect((await s.get(MULTI_DIGEST))?.scan.findings.length).toBe(readScan('multi').findings.length);
      expect(await s.get(MIN_DIGEST)).toBeUndefined();
      expect(await s.claimOnce('jti:r', 60)).toBe(true);
      expect(await s.claimOnce('jti:r', 60)).toBe(false);
    });

    it('keeps the reverse index in sets (id, alias, replaced, deleted)', async () => {
      const s = open(`adv-${Math.random()}:`);
      await until(async () => (await s.ping(), true), 'redis connection');
      await checkAdvisoryIndex(s);
    });

    it('keeps projections beside the results (put, replace, delete)', async () => {
      const s = open(`proj-${Math.random()}:`);
      await until(async () => (await s.ping(), true), 'redis connection');
      await checkProjections(s);
    });

    it('keeps named snapshots, shared by instances on the same prefix', async () => {
      const prefix = `snap-${Math.random()}:`;
      const s = open(prefix);
      await until(async () => (await s.ping(), true), 'redis connection');
      const connected = async (p: string): Promise<VerdictStore> => {
        const other = open(p);
        await until(async () => (await other.ping(), true), 'redis connection');
        return other;
      };
      await checkSnapshots(s, () => connected(prefix));
      // another prefix is another service's store
      expect(await (await connected(`${prefix}x:`)).readSnapshot('index')).toBeUndefined();
    });

    it('projects results stored before projections existed when they are first listed, once', async () => {
      const prefix = `oldproj-${Math.random()}:`;
      const raw = new Redis(`redis://127.0.0.1:${port}`);
      const entry = toStored(readScan('multi'));
      await raw.set(`${prefix}scan:${MULTI_DIGEST}`, JSON.stringify(entry));
      await raw.zadd(`${prefix}scans-by-stored`, Date.parse(entry.storedAt), MULTI_DIGEST);
      const s = open(prefix);
      await until(async () => (await s.ping(), true), 'redis connection');
      expect((await s.listProjections()).map((e) => e.scan)).toEqual([toScanProjection(readScan('multi'))]);
      const kept = await raw.get(`${prefix}proj:${MULTI_DIGEST}`);
      expect(kept && JSON.parse(kept).scan).toEqual(toScanProjection(readScan('multi')));
      expect((await s.listProjections()).map((e) => e.digest)).toEqual([MULTI_DIGEST]);
      raw.disconnect();
    });

    it('indexes results stored before the reverse index existed on the first lookup', async () => {
      const prefix = `old-${Math.random()}:`;
      const raw = new Redis(`redis://127.0.0.1:${port}`);
      const entry = toStored(readScan('multi'));
      await raw.set(`${prefix}scan:${MULTI_DIGEST}`, JSON.stringify(entry));
      await raw.zadd(`${prefix}scans-by-stored`, Date.parse(entry.storedAt), MULTI_DIGEST);
      const s = open(prefix);
      await until(async () => (await s.ping(), true), 'redis connection');
      expect(digestsOf(await s.findByAdvisory('CVE-2023-29403'))).toEqual([MULTI_DIGEST]);
      expect(await raw.get(`${prefix}adv-indexed`)).toBe('1');
      expect(await raw.hkeys(`${prefix}adv:GO-2023-1840`)).toEqual([MULTI_DIGEST]);
      raw.disconnect();
    });

    it('shares verdicts between two instances, fails closed within the deadline while Redis is down, and recovers', async () => {
      // No in-process scan cache here: every answer must come from Redis, so the outage is seen on every request.
      const settings = {
        deadlineMs: 1500,
        storeTimeoutMs: 400,
        scanBudgetMs: 1000,
        timeoutSeconds: 5,
        unknown: 'deny',
        scanCacheTtlSeconds: 0,
      };
      const storeA = open('shared:');
      const storeB = open('shared:');
      await until(async () => (await storeA.ping(), await storeB.ping(), true), 'redis connections');
      // Instance A scans an unknown image; instance B (no scanner) decides from what A stored.
      const a = testApp(storeA, settings, { scanImage: async () => readScan('multi') });
      const b = testApp(storeB, settings);
      const first = await request(a.app)
        .post('/validate')
        .send(toReview(podRequest([MULTI])));
      expect(first.body.response.status.message).toContain('a scan was queued');
      await a.queue.idle();
      const fromB = await request(b.app)
        .post('/validate')
        .send(toReview(podRequest([MULTI])));
      expect(fromB.body.response.allowed).toBe(false);
      expect(fromB.body.response.status.message).toContain('PCS-MALWARE-EICAR-TEST-FILE');
      await storeA.put(toStored(readScan('min')));
      expect(
        (
          await request(b.app)
            .post('/validate')
            .send(toReview(podRequest([MIN])))
        ).body.response.allowed,
      ).toBe(true);

      await stopRedis();
      const answers = await Promise.all(
        Array.from({ length: 40 }, async (_, i) => {
          const t0 = Date.now();
          const res = await request(i % 2 ? a.app : b.app)
            .post('/validate')
            .send(toReview(podRequest([MIN])));
          return {
            allowed: res.body.response.allowed as boolean,
            code: res.body.response.status?.code,
            ms: Date.now() - t0,
          };
        }),
      );
      expect(answers.filter((x) => x.allowed)).toEqual([]);
      expect(new Set(answers.map((x) => x.code))).toEqual(new Set([503]));
      // Every answer came before the apiserver's timeout (timeoutSeconds), the bound that matters.
      expect(Math.max(...answers.map((x) => x.ms))).toBeLessThan(5000);
      await request(b.app).get('/readyz').expect(503);

      await restartRedis();
      await until(
        async () => (await request(b.app).get('/readyz')).status === 200,
        'readiness after restart',
      );
      // Redis ran without persistence: the data is gone, so the image is unknown again until it is stored anew.
      await until(async () => (await storeA.put(toStored(readScan('min'))), true), 'store A reconnect');
      const after = await request(b.app)
        .post('/validate')
        .send(toReview(podRequest([MIN])));
      expect(after.body.response.allowed).toBe(true);
    });
  },
);
