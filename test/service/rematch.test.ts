import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createMemoryStore,
  createMemoryTaskStore,
  createRegistryScanTask,
  runRegistryScan,
  type Policy,
} from '../../core/src/index.js';
import { findAffected, readAffected } from '../../service/src/affected.js';
import { evaluateStored } from '../../service/src/images.js';
import { createServiceMetrics } from '../../service/src/metrics.js';
import { rematchStored } from '../../service/src/rematch.js';
import { haveTestImages, NO_IMAGES_REASON, skipReason, TEST_REGISTRY } from '../helpers/env.js';
import { createCapturingLogger, createDb, runServiceCli, startCountingProxy } from './helpers.js';

describe.skipIf(!haveTestImages && skipReason(NO_IMAGES_REASON))(
  'DB update → re-match of stored inventories (no image pulled)',
  () => {
    const verdicts = createMemoryStore();
    let proxy: Awaited<ReturnType<typeof startCountingProxy>>;
    let v1: ReturnType<typeof createDb>;
    let v2: ReturnType<typeof createDb>;
    let policy: Policy;

    beforeAll(async () => {
      proxy = await startCountingProxy(TEST_REGISTRY);
      v1 = createDb('v1');
      v2 = createDb('v2');
      policy = {
        apiVersion: 'portcullis/v1',
        registries: [{ name: 'proxied', kind: 'distribution', url: `http://127.0.0.1:${proxy.port}` }],
      };
      const req = {
        policy,
        tasks: createMemoryTaskStore(),
        verdicts,
        dbPath: v1.dbPath,
        scanners: ['vuln', 'secret', 'baseline'] as ('vuln' | 'secret' | 'baseline')[],
      };
      const done = await runRegistryScan(await createRegistryScanTask(req), req);
      expect(done.progress.scanned).toBe(4);
    }, 180_000);
    afterAll(async () => {
      proxy?.server.close();
      v1?.cleanup();
      v2?.cleanup();
    });

    it('gives the stored images the new advisory and changes the min images’ verdict, with zero registry bytes', async () => {
      const sentBefore = proxy.sent();
      expect(sentBefore).toBeGreaterThan(0); // the initial scan did go through the proxy
      const now = new Date();
      const before = new Map(
        (await verdicts.list()).map((e) => [e.digest, evaluateStored(e, policy, now).verdict.decision]),
      );
      expect((await readAffected(verdicts, 'CVE-2026-90002', policy)).images).toEqual([]);

      const metrics = createServiceMetrics();
      const { logger, lines } = createCapturingLogger();
      const summary = await rematchStored({ verdicts, dbPath: v2.dbPath, policy, logger, metrics });

      expect(proxy.sent()).toBe(sentBefore);
      expect(summary).toMatchObject({ images: 4, changed: 4, failed: 0 });
      const after = await verdicts.list();
      for (const e of after) {
        const f = e.scan.findings.find((x) => x.id === 'PCS-TEST-2026-0002');
        expect(f, e.scan.image.ref).toMatchObject({
          severity: 'critical',
          package: { name: 'base-files', fixedVersion: '12.4+deb12u16' },
        });
        // the v1 advisory is still there, non-vulnerability findings untouched
        expect(e.scan.findings.some((x) => x.id === 'PCS-TEST-2026-0001')).toBe(true);
        expect(e.scan.findings.some((x) => x.id === 'PCS-BASELINE-ROOT-USER')).toBe(true);
        expect(e.scan.db?.path).toBe(v2.dbPath);
      }
      // min images warned (medium root user); a critical vulnerability now denies them; multi denied already
      const changed = summary.verdictChanges.map((c) => `${c.from}→${c.to}`);
      expect(changed).toEqual(['warn→deny', 'warn→deny']);
      for (const c of summary.verdictChanges) expect(before.get(c.digest)).toBe('warn');
      expect(lines.filter((l) => l.includes('verdict changed after DB update'))).toHaveLength(2);
      const text = await metrics.registry.metrics();
      expect(text).toMatch(/portcullis_service_verdict_changes_total\{from="warn",to="deny"\} 2/);
      expect(text).toMatch(/portcullis_service_rematched_images_total\{outcome="changed"\} 4/);

      // the store's reverse index was kept up to date by the re-match's puts
      const affected = await readAffected(verdicts, 'cve-2026-90002', policy);
      expect(affected).toEqual(findAffected(after, 'cve-2026-90002', policy));
      expect(affected.images).toHaveLength(4);
      expect(affected.repositories).toEqual(['proxied/fixtures/debian', 'proxied/fixtures/debian-v2s2']);
    });

    it('changes nothing when re-matched against the same DB again', async () => {
      const summary = await rematchStored({ verdicts, dbPath: v2.dbPath, policy });
      expect(summary).toMatchObject({ images: 4, changed: 0, verdictChanges: [], failed: 0 });
    });

    it('leaves results of scans without the vuln scanner alone', async () => {
      const store = createMemoryStore();
      const [one] = await verdicts.list();
      const { db: _db, ...noVulnScan } = one!.scan;
      await store.put({ ...one!, scan: { ...noVulnScan, findings: [] } });
      const summary = await rematchStored({ verdicts: store, dbPath: v2.dbPath, policy });
      expect(summary.images).toBe(0);
      expect((await store.get(one!.digest))?.scan.findings).toEqual([]);
    });
  },
);

describe.skipIf(!haveTestImages && skipReason(NO_IMAGES_REASON))(
  'portcullis affected (CLI, from the store)',
  () => {
    it('lists the images with an advisory from a SQLite store, as text and JSON; nothing for an unknown id', async () => {
      const { createScratch } = await import('../e2e/helpers.js');
      const portcullis = (args: string[], o: { env: NodeJS.ProcessEnv }) => runServiceCli(args, o.env);
      const { createSqliteStore } = await import('../../core/src/index.js');
      const scratch = await createScratch('affected');
      const db = createDb('v1');
      try {
        const storePath = `${scratch.dir}/store.sqlite`;
        const verdicts = createSqliteStore(storePath);
        const policy: Policy = {
          apiVersion: 'portcullis/v1',
          registries: [
            {
              name: 'loopback',
              kind: 'distribution',
              url: `http://${TEST_REGISTRY}`,
              repositories: { include: ['fixtures/debian'] },
            },
          ],
        };
        const req = {
          policy,
          tasks: createMemoryTaskStore(),
          verdicts,
          dbPath: db.dbPath,
          scanners: ['vuln' as const],
        };
        await runRegistryScan(await createRegistryScanTask(req), req);
        await verdicts.close();
        const json = await portcullis(
          ['affected', 'CVE-2026-90001', '--json', '--store', `sqlite:${storePath}`],
          { env: { HOME: scratch.dir } },
        );
        expect(json.code).toBe(0);
        const report = JSON.parse(json.stdout);
        expect(report.images).toHaveLength(2);
        expect(report.repositories).toEqual(['fixtures/debian']);
        const text = await portcullis(['affected', 'PCS-TEST-2026-0001', '--store', `sqlite:${storePath}`], {
          env: { HOME: scratch.dir },
        });
        expect(text.stdout).toMatch(/^PCS-TEST-2026-0001: 2 image\(s\) in 1 repositories\n/);
        expect(text.stdout).toContain('apt 2.6.1 → 2.6.2');
        const none = await portcullis(['affected', 'CVE-1999-0001', '--store', `sqlite:${storePath}`], {
          env: { HOME: scratch.dir },
        });
        expect(none.stdout).toBe('CVE-1999-0001: no stored image has it\n');
      } finally {
        db.cleanup();
        await scratch.cleanup();
      }
    }, 120_000);
  },
);
