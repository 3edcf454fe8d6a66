/**
 * One machine, no store flags: `portcullis registry scan` writes its results to the default SQLite file, and
 * `portcullis webhook serve` started afterwards opens that same file by default, says so, and decides the
 * scanned images from it at once. `--store memory` is still there, and then those verdicts are not seen.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NO_IMAGES_REASON, TEST_REGISTRY, haveTestImages, skipReason } from '../helpers/env.js';
import { reviewPod, startWebhook, type WebhookProcess } from '../helpers/webhook-process.js';
import { createScratch, portcullis, toLoopbackRegistriesYaml } from './helpers.js';

const MULTI = `${TEST_REGISTRY}/fixtures/debian:multi`;
const MIN = `${TEST_REGISTRY}/fixtures/debian:min`;

describe.skipIf(!haveTestImages && skipReason(NO_IMAGES_REASON))(
  'registry scan, then webhook serve, with no --store on either',
  () => {
    let dir: string;
    let cleanup: () => Promise<void>;
    let webhook: WebhookProcess | undefined;
    const agent = new Agent({ connect: { rejectUnauthorized: false } });
    const serve = async (args: string[]): Promise<WebhookProcess> =>
      (webhook = await startWebhook(['--unknown', 'deny', '--policy', join(dir, 'policy.yaml'), ...args], {
        env: { PATH: process.env.PATH, HOME: dir },
      }));

    beforeAll(async () => {
      ({ dir, cleanup } = await createScratch('default-store'));
      await writeFile(
        join(dir, 'policy.yaml'),
        [
          'apiVersion: portcullis/v1',
          // the scans run without the vuln scanner: admission warns about that instead of denying
          'gates: { missingDb: warn }',
          // fixtures/debian-v2s2 stays out of scope: never scanned, so unknown to the store
          ...toLoopbackRegistriesYaml(100),
        ].join('\n'),
      );
      // a fresh HOME: no ~/.cache/portcullis yet, no PORTCULLIS_STORE
      const run = await portcullis(
        ['registry', 'scan', '--policy', join(dir, 'policy.yaml'), '--scanners', 'secret,baseline'],
        { env: { HOME: dir } },
      );
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toMatch(/task [0-9a-f-]{36} succeeded/);
    }, 180_000);

    afterAll(async () => {
      await webhook?.stop('SIGKILL');
      await agent.close();
      await cleanup?.();
    });

    it('opens the file registry scan wrote, says so, and decides the scanned images from it at once', async () => {
      const proc = await serve([]);
      const file = join(dir, '.cache', 'portcullis', 'store.sqlite');
      expect(proc.stderr()).toContain(
        `portcullis: verdict store: SQLite ${file} (the default file registry scan writes; --store memory for none)`,
      );
      const multi = await reviewPod(proc.url, MULTI, 'm', agent);
      expect(multi.response.allowed).toBe(false);
      expect(multi.response.status?.message).toContain('PCS-SECRET-PRIVATE-KEY');
      expect(multi.response.status?.message).not.toContain('not been scanned');
      const min = await reviewPod(proc.url, MIN, 'n', agent);
      expect(min.response.allowed).toBe(true);
      // out of the registry scan's scope: unknown to the store (and --unknown deny only queues a scan)
      const other = await reviewPod(proc.url, `${TEST_REGISTRY}/fixtures/debian-v2s2:min`, 'o', agent);
      expect(other.response.allowed).toBe(false);
      expect(other.response.status?.message).toContain('has not been scanned yet');
      expect(await proc.stop()).toBe(0);
    }, 60_000);

    it('with --store memory does not see those verdicts, and says so', async () => {
      const proc = await serve(['--store', 'memory']);
      expect(proc.stderr()).toContain('portcullis: verdict store: memory (verdicts are lost at exit');
      const multi = await reviewPod(proc.url, MULTI, 'm2', agent);
      expect(multi.response.allowed).toBe(false);
      expect(multi.response.status?.message).toContain('has not been scanned yet');
      expect(await proc.stop()).toBe(0);
    }, 60_000);
  },
);
