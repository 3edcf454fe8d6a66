/**
 * `scan.dbUpdate` end to end on an injected clock: the cron fires, `db update` downloads the newer OSV set from
 * a loopback mirror (osv.dev bucket layout), and the stored inventories are re-matched, so a stored verdict
 * changes with zero bytes sent to the registry the images came from.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createMemoryStore,
  createMemoryTaskStore,
  createRegistryScanTask,
  runRegistryScan,
  type Policy,
} from '../../core/src/index.js';
import { startDbUpdateSchedule } from '../../service/src/db-schedule.js';
import { evaluateStored } from '../../service/src/images.js';
import { createServiceMetrics } from '../../service/src/metrics.js';
import type { RematchSummary } from '../../service/src/rematch.js';
import { TEST_REGISTRY } from '../helpers/env.js';
import { skipWithoutRegistry } from '../source/catalog/fixture-images.js';
import { makeZip } from '../vulndb/make-zip.js';
import {
  createCapturingLogger,
  createDb,
  createVirtualClock,
  SERVICE_OSV,
  startCountingProxy,
} from './helpers.js';

/** A loopback osv.dev-style bucket with only `Debian/all.zip`: the v2 records of test/fixtures/service/osv. */
async function startMirror(): Promise<{ url: string; requests: string[]; server: Server }> {
  const dir = join(SERVICE_OSV, 'v2');
  const zip = makeZip(
    readdirSync(dir).map((name) => ({ name, data: readFileSync(join(dir, name), 'utf8') })),
  );
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(req.url ?? '');
    if (req.url === '/Debian/all.zip') res.writeHead(200).end(zip);
    else res.writeHead(404).end('not found');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests, server };
}

// the scans pull from the loopback registry through a counting proxy: without it they would fail, not skip
describe.skipIf(skipWithoutRegistry())(
  'scan.dbUpdate: scheduled db update from a loopback mirror, then re-match (no registry request)',
  () => {
    const verdicts = createMemoryStore();
    let proxy: Awaited<ReturnType<typeof startCountingProxy>>;
    let mirror: Awaited<ReturnType<typeof startMirror>>;
    let db: ReturnType<typeof createDb>;
    let policy: Policy;

    beforeAll(async () => {
      proxy = await startCountingProxy(TEST_REGISTRY);
      mirror = await startMirror();
      // the DB the service runs on starts as v1 (no PCS-TEST-2026-0002); the scheduled update brings v2
      db = createDb('v1');
      policy = {
        apiVersion: 'portcullis/v1',
        registries: [
          {
            name: 'proxied',
            kind: 'distribution',
            url: `http://127.0.0.1:${proxy.port}`,
            repositories: { include: ['fixtures/debian'] },
          },
        ],
      };
      const req = {
        policy,
        tasks: createMemoryTaskStore(),
        verdicts,
        dbPath: db.dbPath,
        scanners: ['vuln', 'baseline'] as ('vuln' | 'baseline')[],
      };
      const done = await runRegistryScan(await createRegistryScanTask(req), req);
      expect(done.progress.scanned).toBe(2);
    }, 180_000);
    afterAll(async () => {
      proxy?.server.close();
      mirror?.server.close();
      db?.cleanup();
    });

    it('fires at 06:00, updates the DB from the mirror and changes the stored verdicts, with zero registry bytes', async () => {
      const { clock, advance } = createVirtualClock('2026-12-07T05:00:00Z');
      const { logger, lines } = createCapturingLogger();
      const metrics = createServiceMetrics();
      const claims = createMemoryStore({ now: clock.now });
      const runs: { firedAt: Date; summary?: RematchSummary; error?: unknown }[] = [];
      let ran: () => void = () => {};
      const finished = new Promise<void>((r) => (ran = r));
      const at = new Date('2026-12-07T06:30:00Z');
      const before = new Map(
        (await verdicts.list()).map((e) => [e.digest, evaluateStored(e, policy, at).verdict.decision]),
      );
      // min warns (a medium baseline finding); multi is denied already (a critical vulnerability in v1)
      const changing = [...before].filter(([, d]) => d !== 'deny').map(([digest]) => digest);
      expect(changing).toHaveLength(1);
      const sentBefore = proxy.sent();
      expect(sentBefore).toBeGreaterThan(0); // the scan itself did pull through the proxy

      const schedule = startDbUpdateSchedule({
        cron: '0 */6 * * *',
        clock,
        claim: (key) => claims.claimOnce(key, 3600),
        dbPath: db.dbPath,
        verdicts,
        policy,
        logger,
        metrics,
        update: { mirrorBaseUrl: mirror.url, ecosystems: ['Debian'] },
        onRun: (run) => {
          runs.push(run);
          ran();
        },
      });
      try {
        // 05:59: not yet
        await advance(59 * 60_000);
        expect(runs).toEqual([]);
        expect(mirror.requests).toEqual([]);
        await advance(60_000);
        await finished;
      } finally {
        await schedule.stop();
      }

      expect(runs).toHaveLength(1);
      expect(runs[0]?.error).toBeUndefined();
      expect(runs[0]?.firedAt.toISOString()).toBe('2026-12-07T06:00:00.000Z');
      expect(mirror.requests[0]).toBe('/Debian/all.zip');
      expect(runs[0]?.summary).toMatchObject({ images: 2, changed: 2, failed: 0 });
      // every stored result now has the advisory the update brought, and is denied for it
      for (const e of await verdicts.list()) {
        expect(e.scan.findings.find((f) => f.id === 'PCS-TEST-2026-0002')).toMatchObject({
          severity: 'critical',
          aliases: ['CVE-2026-90002'],
        });
        expect(evaluateStored(e, policy, at).verdict.decision).toBe('deny');
      }
      expect(runs[0]?.summary?.verdictChanges.map((c) => [c.digest, c.from, c.to])).toEqual([
        [changing[0], 'warn', 'deny'],
      ]);
      expect(await metrics.registry.metrics()).toMatch(
        /portcullis_service_verdict_changes_total\{from="warn",to="deny"\} 1/,
      );
      expect(lines.some((l) => l.includes('schedule: db update started'))).toBe(true);
      // not one byte to the registry: the inventories came from the store
      expect(proxy.sent()).toBe(sentBefore);
      // the reverse index followed the re-match
      expect((await verdicts.findByAdvisory('cve-2026-90002')).map((h) => h.digest).sort()).toEqual(
        [...before.keys()].sort(),
      );
    }, 120_000);
  },
);
