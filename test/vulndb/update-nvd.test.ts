// `db update --nvd` against a loopback fake of the NVD CVE API 2.0 built from its documented behaviour:
// `startIndex`/`resultsPerPage`/`totalResults` paging, `lastModStartDate`/`lastModEndDate` (both required,
// at most 120 days apart, else 404 with a `message` header), the `apiKey` header, and 403 when throttled.
import { createServer } from 'node:http';
import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isPortcullisError } from '../../core/src/errors.js';
import {
  createRateLimiter,
  NVD_RATE_LIMITS,
  dbStatus,
  openVulnDb,
  toWindows,
  updateNvd,
  type NvdUpdateOptions,
} from '../../core/src/vulndb/index.js';
import { FIXTURES } from '../helpers/env.js';

type Cve = Record<string, unknown> & { id: string; lastModified: string };

const load = (name: string): Cve =>
  JSON.parse(readFileSync(join(FIXTURES, 'aliases', 'nvd', name), 'utf8')) as Cve;

/** A fake NVD: the CVEs it holds, every request it saw, and switches for throttling and errors. */
class FakeNvd {
  cves: Cve[] = [];
  requests: { query: URLSearchParams; apiKey?: string }[] = [];
  throttleNext = 0;
  failWith?: number;

  handle(req: IncomingMessage): { status: number; headers?: Record<string, string>; body: string } {
    const url = new URL(req.url ?? '/', 'http://x');
    const apiKey = req.headers.apikey;
    this.requests.push({ query: url.searchParams, ...(typeof apiKey === 'string' && { apiKey }) });
    if (this.throttleNext > 0) {
      this.throttleNext--;
      return { status: 403, body: '' };
    }
    if (this.failWith) return { status: this.failWith, headers: { message: 'boom' }, body: '' };
    const q = url.searchParams;
    const start = q.get('lastModStartDate');
    const end = q.get('lastModEndDate');
    if ((start === null) !== (end === null))
      return {
        status: 404,
        headers: { message: 'Both lastModStartDate and lastModEndDate are required' },
        body: '',
      };
    let list = this.cves;
    if (start !== null && end !== null) {
      const s = Date.parse(start);
      const e = Date.parse(end);
      if (Number.isNaN(s) || Number.isNaN(e) || e - s > 120 * 86_400_000)
        return { status: 404, headers: { message: 'Invalid date range' }, body: '' };
      list = list.filter((c) => {
        const t = Date.parse(`${c.lastModified}Z`);
        return t >= s && t <= e;
      });
    }
    const perPage = Number(q.get('resultsPerPage') ?? 2000);
    const startIndex = Number(q.get('startIndex') ?? 0);
    if (perPage > 2000) return { status: 404, headers: { message: 'resultsPerPage too large' }, body: '' };
    const page = list.slice(startIndex, startIndex + perPage);
    return {
      status: 200,
      body: JSON.stringify({
        resultsPerPage: page.length,
        startIndex,
        totalResults: list.length,
        format: 'NVD_CVE',
        version: '2.0',
        timestamp: '2026-12-06T00:00:00.000',
        vulnerabilities: page.map((cve) => ({ cve })),
      }),
    };
  }
}

describe('updateNvd', () => {
  const nvd = new FakeNvd();
  const work = mkdtempSync(join(tmpdir(), 'portcullis-nvd-'));
  const agent = new Agent();
  let server: Server;
  let apiUrl: string;
  let n = 0;
  // a fake clock that sleeping advances, so rate limits are checked without waiting
  let clock = Date.parse('2026-12-01T00:00:00Z');
  const slept: number[] = [];
  const base = (): NvdUpdateOptions => ({
    dbPath: join(work, `db-${n}.sqlite`),
    apiUrl,
    dispatcher: agent,
    now: () => new Date(clock),
    sleep: async (ms) => {
      slept.push(ms);
      clock += ms;
    },
    resultsPerPage: 2,
  });

  beforeAll(async () => {
    server = createServer((req, res) => {
      const out = nvd.handle(req);
      res.writeHead(out.status, { 'content-type': 'application/json', ...out.headers });
      res.end(out.body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/rest/json/cves/2.0`;
  });
  afterAll(async () => {
    await agent.close();
    await new Promise((r) => server.close(r));
    rmSync(work, { recursive: true, force: true });
  });
  beforeEach(() => {
    n++;
    nvd.requests = [];
    nvd.throttleNext = 0;
    nvd.failWith = undefined;
    slept.length = 0;
    nvd.cves = ['CVE-2023-39325.json', 'CVE-2023-24540.json', 'CVE-2024-24783.json'].map(load);
  });

  it('pages through every CVE on the first run and stores their scores', async () => {
    const result = await updateNvd(base());
    expect(result).toMatchObject({ mode: 'full', cves: 3, requests: 2 });
    expect(nvd.requests.map((r) => [r.query.get('startIndex'), r.query.get('resultsPerPage')])).toEqual([
      ['0', '2'],
      ['2', '2'],
    ]);
    expect(nvd.requests[0]?.query.has('lastModStartDate')).toBe(false);
    const db = openVulnDb(base().dbPath);
    expect(db.getNvdMetrics?.('CVE-2023-24540')?.[0]).toMatchObject({ score: 9.8, primary: true });
    expect(db.getNvdMetrics?.('CVE-2024-24783')?.[0]).toMatchObject({ score: 5.9, primary: false });
    db.close();
    expect(dbStatus(base().dbPath).updates.NVD).toBe('2026-12-01T00:00:00.000Z');
    expect(dbStatus(base().dbPath).nvdCves).toBe(3);
  });

  it('asks only for CVEs modified since the last run, in ranges of at most 120 days', async () => {
    await updateNvd(base());
    nvd.requests = [];
    const lastRun = new Date(clock).toISOString();
    clock += 200 * 86_400_000; // 200 days later: two ranges
    const changed: Cve = {
      ...load('CVE-2024-24783.json'),
      lastModified: new Date(clock - 86_400_000).toISOString().slice(0, -1),
    };
    changed.metrics = {
      cvssMetricV31: [
        {
          source: 'nvd@nist.gov',
          type: 'Primary',
          cvssData: {
            version: '3.1',
            vectorString: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H',
            baseScore: 9.8,
            baseSeverity: 'CRITICAL',
          },
        },
      ],
    };
    nvd.cves = [...nvd.cves.filter((c) => c.id !== changed.id), changed];
    const result = await updateNvd(base());
    expect(result).toMatchObject({ mode: 'incremental', since: lastRun, cves: 1 });
    const ranges = nvd.requests.map((r) => [r.query.get('lastModStartDate'), r.query.get('lastModEndDate')]);
    expect(ranges).toEqual([
      [lastRun, new Date(Date.parse(lastRun) + 120 * 86_400_000).toISOString()],
      [new Date(Date.parse(lastRun) + 120 * 86_400_000).toISOString(), new Date(clock).toISOString()],
    ]);
    const db = openVulnDb(base().dbPath);
    expect(db.getNvdMetrics?.('CVE-2024-24783')?.[0]).toMatchObject({ score: 9.8, primary: true });
    expect(db.getNvdMetrics?.('CVE-2023-24540')?.[0]).toMatchObject({ score: 9.8 }); // kept from the first run
    db.close();
  });

  it('sends the API key in the apiKey header only when given', async () => {
    await updateNvd({ ...base(), apiKey: 'k-123' });
    expect(nvd.requests.every((r) => r.apiKey === 'k-123')).toBe(true);
    n++;
    nvd.requests = [];
    await updateNvd(base());
    expect(nvd.requests.every((r) => r.apiKey === undefined)).toBe(true);
  });

  it("uses NVD's documented limits: 10 per rolling 60 s without a key, 100 with one", () => {
    // https://nvd.nist.gov/developers/start-here ("Rate Limits"), as read for issue 16
    expect(NVD_RATE_LIMITS).toEqual({
      anonymous: { requests: 10, windowMs: 60_000 },
      withKey: { requests: 100, windowMs: 60_000 },
    });
  });

  it('keeps to the rolling-window rate limit (10 per 60 s without a key)', async () => {
    nvd.cves = Array.from({ length: 23 }, (_, i) => ({
      ...load('CVE-2023-39325.json'),
      id: `CVE-2099-${1000 + i}`,
    }));
    const result = await updateNvd({ ...base(), resultsPerPage: 1 });
    expect(result.requests).toBe(23);
    // 23 requests at 10 per window: two waits, ending 60 s and 120 s after the first request
    expect(slept).toEqual([60_000, 60_000]);
  });

  it('sends up to 100 requests per 60 s with an API key', async () => {
    nvd.cves = Array.from({ length: 23 }, (_, i) => ({
      ...load('CVE-2023-39325.json'),
      id: `CVE-2099-${1000 + i}`,
    }));
    const result = await updateNvd({ ...base(), resultsPerPage: 1, apiKey: 'k-123' });
    expect(result.requests).toBe(23);
    expect(slept).toEqual([]);
  });

  it('backs off and retries when throttled (403), then succeeds', async () => {
    nvd.throttleNext = 2;
    const result = await updateNvd(base());
    expect(result.cves).toBe(3);
    expect(result.requests).toBe(4);
    // a throttled client waits out a whole window, longer each time
    expect(slept).toEqual([60_000, 120_000]);
  });

  it('fails with DB_DOWNLOAD_FAILED after too many throttled answers, leaving no DB behind', async () => {
    nvd.throttleNext = 10;
    const err = await updateNvd({ ...base(), retries: 2 }).catch((e: unknown) => e);
    expect(isPortcullisError(err) && err.code).toBe('DB_DOWNLOAD_FAILED');
    expect(String(err)).toMatch(/HTTP 403/);
    expect(() => dbStatus(base().dbPath)).toThrow(expect.objectContaining({ code: 'DB_NOT_FOUND' }));
  });

  it("reports NVD's message on an error answer", async () => {
    nvd.failWith = 404;
    await expect(updateNvd(base())).rejects.toThrow(/HTTP 404: boom/);
  });

  it('rejects an answer that is not the CVE API shape', async () => {
    const other = createServer((_req, res) => res.end('{"hello":1}'));
    await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(other.address() as AddressInfo).port}/`;
    await expect(updateNvd({ ...base(), apiUrl: url })).rejects.toThrow(/not an NVD CVE API 2.0 answer/);
    await new Promise((r) => other.close(r));
  });
});

describe('toWindows and createRateLimiter', () => {
  it('splits a range into 120-day pieces', () => {
    const start = new Date('2026-01-01T00:00:00Z');
    expect(toWindows(start, new Date('2026-01-02T00:00:00Z'))).toHaveLength(1);
    const w = toWindows(start, new Date(start.getTime() + 241 * 86_400_000));
    expect(w).toHaveLength(3);
    expect(w.every((x) => x.end.getTime() - x.start.getTime() <= 120 * 86_400_000)).toBe(true);
  });

  it('lets requests through freely until the window is full', async () => {
    let t = 0;
    const waits: number[] = [];
    const wait = createRateLimiter(
      { requests: 2, windowMs: 1000 },
      () => t,
      async (ms) => {
        waits.push(ms);
        t += ms;
      },
    );
    await wait();
    t += 400;
    await wait();
    await wait();
    expect(waits).toEqual([600]);
  });
});
