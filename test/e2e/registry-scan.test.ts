import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NO_IMAGES_REASON, TEST_REGISTRY, haveTestImages, skipReason } from '../helpers/env.js';
import {
  reviewPod,
  startWebhook,
  type AdmissionReply,
  type WebhookProcess,
} from '../helpers/webhook-process.js';
import { createScratch, portcullis, portcullisBinary, toLoopbackRegistriesYaml } from './helpers.js';

/**
 * The promise, end to end: `portcullis registry scan` over the real loopback registry stores every
 * image's result, and `portcullis webhook serve` on the same store decides those images from cache at once.
 */
describe.skipIf(!haveTestImages && skipReason(NO_IMAGES_REASON))(
  'portcullis registry scan, then webhook serve on the same store',
  () => {
    let dir: string;
    let cleanup: () => Promise<void>;
    let store: string;
    let env: NodeJS.ProcessEnv;
    let taskId = '';
    let scanOut = '';
    let webhook: WebhookProcess | undefined;
    const agent = new Agent({ connect: { rejectUnauthorized: false } });

    beforeAll(async () => {
      ({ dir, cleanup } = await createScratch('registry-scan'));
      store = `sqlite:${join(dir, 'store.sqlite')}`;
      env = { HOME: dir };
      await writeFile(
        join(dir, 'policy.yaml'),
        [
          'apiVersion: portcullis/v1',
          // these scans run without the vuln scanner: admission warns about that instead of denying
          'gates: { missingDb: warn }',
          // fixtures/debian-v2s2 stays out of scope: the negative case below
          ...toLoopbackRegistriesYaml(100),
          'scan:',
          '  timeout: 1h',
          '  retention: { tasks: 30d, vulnerabilities: 90d }',
        ].join('\n'),
      );
      const run = await portcullis(
        [
          'registry',
          'scan',
          '--policy',
          join(dir, 'policy.yaml'),
          '--store',
          store,
          '--scanners',
          'secret,baseline',
        ],
        { env },
      );
      scanOut = run.stdout;
      expect(run.stderr).toMatch(/^task [0-9a-f-]{36}: scanning loopback/);
      expect(run.code).toBe(0);
      taskId = /task ([0-9a-f-]{36}) succeeded/.exec(run.stdout)?.[1] ?? '';
    }, 180_000);

    afterAll(async () => {
      await webhook?.stop('SIGKILL');
      await agent.close();
      await cleanup?.();
    });

    it('prints one line per image when not on a TTY, and a summary', () => {
      const lines = scanOut.trim().split('\n');
      const scanned = lines.filter((l) => l.startsWith('scanned '));
      expect(scanned.map((l) => l.split(' ').filter(Boolean)[1]).sort()).toEqual([
        `${TEST_REGISTRY}/fixtures/debian:min`,
        `${TEST_REGISTRY}/fixtures/debian:multi`,
      ]);
      expect(scanned.every((l) => /sha256:[a-f0-9]{64} \d+\.\ds critical \d+ high \d+/.test(l))).toBe(true);
      expect(lines.at(-1)).toBe(
        `task ${taskId} succeeded: in scope 2, scanned 2, skipped 0 (time range), failed 0, not scanned 0`,
      );
    });

    it('lists the task and shows its per-image log as JSON', async () => {
      const list = await portcullis(['tasks', 'list', '--json', '--store', store], { env });
      const tasks = JSON.parse(list.stdout) as { id: string; status: string; trigger: string }[];
      expect(tasks.map((t) => [t.id, t.status, t.trigger])).toEqual([[taskId, 'succeeded', 'manual']]);
      const show = await portcullis(['tasks', 'show', taskId, '--log', '--json', '--store', store], { env });
      const { task, log } = JSON.parse(show.stdout) as {
        task: { scope: { registries: string[]; scanners: string[] }; progress: Record<string, number> };
        log: { reference: string; digest: string; outcome: string; findings: Record<string, number> }[];
      };
      expect(task.scope).toMatchObject({ registries: ['loopback'], scanners: ['secret', 'baseline'] });
      expect(task.progress).toEqual({ inScope: 2, scanned: 2, skipped: 0, failed: 0, notScanned: 0 });
      const multi = log.find((e) => e.reference.endsWith(':multi'));
      expect(multi?.outcome).toBe('scanned');
      expect(multi?.digest).toMatch(/^sha256:/);
      // the multi image carries a private key (critical/high secret findings); the text form shows the same
      expect((multi?.findings.critical ?? 0) + (multi?.findings.high ?? 0)).toBeGreaterThan(0);
      const text = await portcullis(['tasks', 'show', taskId, '--log', '--store', store], { env });
      expect(text.stdout).toContain(`task ${taskId}`);
      expect(text.stdout).toContain('  status    succeeded');
      expect(text.stdout).toMatch(/log:\n {2}scanned /);
      const cancel = await portcullis(['tasks', 'cancel', taskId, '--store', store], { env });
      expect(cancel.code).toBe(2);
      expect(cancel.stderr).toContain('has ended (succeeded); nothing to cancel');
      const missing = await portcullis(['tasks', 'show', 'nope', '--store', store], { env });
      expect(missing.stderr).toContain('TASK_NOT_FOUND');
    });

    it('webhook serve on the same store admits/denies the scanned images from cache, with no queued answer', async () => {
      webhook = await startWebhook(
        ['--store', store, '--unknown', 'deny', '--policy', join(dir, 'policy.yaml')],
        { env: { PATH: process.env.PATH, HOME: dir } },
      );
      const url = webhook.url;
      const validate = (image: string, uid: string): Promise<AdmissionReply> =>
        reviewPod(url, image, uid, agent);
      // the first answer already is the verdict: no "not scanned yet", no background scan
      const multi = await validate(`${TEST_REGISTRY}/fixtures/debian:multi`, 'm');
      expect(multi.response.allowed).toBe(false);
      expect(multi.response.status?.message).toContain('PCS-SECRET-PRIVATE-KEY');
      expect(multi.response.status?.message).not.toContain('not been scanned');
      const min = await validate(`${TEST_REGISTRY}/fixtures/debian:min`, 'n');
      expect(min.response.allowed).toBe(true);
      // out of the registry scan's scope: unknown to the store, so the webhook says so (the negative case)
      const other = await validate(`${TEST_REGISTRY}/fixtures/debian-v2s2:min`, 'o');
      expect(other.response.allowed).toBe(false);
      expect(other.response.status?.message).toContain('has not been scanned yet');
    }, 60_000);
  },
);

describe.skipIf(!haveTestImages && skipReason(NO_IMAGES_REASON))(
  'portcullis registry scan --detach, then tasks cancel from another process',
  () => {
    it('returns the id at once; the background task scans at 1/hour until `tasks cancel` stops it', async () => {
      const { dir, cleanup } = await createScratch('registry-detach');
      let stopStray = async (): Promise<void> => {};
      try {
        const store = `sqlite:${join(dir, 'store.sqlite')}`;
        const env = { PATH: process.env.PATH, HOME: dir };
        await writeFile(
          join(dir, 'policy.yaml'),
          ['apiVersion: portcullis/v1', ...toLoopbackRegistriesYaml(1)].join('\n'),
        );
        const started = await portcullisBinary(
          [
            'registry',
            'scan',
            '--detach',
            '--policy',
            join(dir, 'policy.yaml'),
            '--store',
            store,
            '--scanners',
            'baseline',
          ],
          env,
        );
        expect(started.code).toBe(0);
        const id = started.stdout.trim();
        expect(id).toMatch(/^[0-9a-f-]{36}$/);
        // (no scan.timeout here: with 1/hour it would end the task at once, the next pull being past it)
        // a failed assertion below must not leave the background task waiting out its hour
        stopStray = async () => {
          await portcullisBinary(['tasks', 'cancel', id, '--store', store], env);
        };
        const show = async () => {
          const r = await portcullisBinary(['tasks', 'show', id, '--log', '--json', '--store', store], env);
          return JSON.parse(r.stdout) as {
            task: { status: string; progress: { scanned: number; notScanned: number } };
            log: { outcome: string; cause?: string }[];
          };
        };
        // the first image is scanned at once; the second must wait an hour
        let state = await show();
        for (let i = 0; i < 60 && state.task.progress.scanned < 1; i++) {
          await new Promise((r) => setTimeout(r, 1000));
          state = await show();
        }
        expect(state.task).toMatchObject({ status: 'running', progress: { scanned: 1 } });
        const cancel = await portcullisBinary(['tasks', 'cancel', id, '--store', store], env);
        expect(cancel.stdout).toContain(`task ${id}: cancel requested`);
        for (let i = 0; i < 30 && state.task.status === 'running'; i++) {
          await new Promise((r) => setTimeout(r, 1000));
          state = await show();
        }
        expect(state.task).toMatchObject({ status: 'cancelled', progress: { scanned: 1, notScanned: 1 } });
        expect(state.log.find((e) => e.outcome === 'not-scanned')?.cause).toMatch(/^cancelled/);
      } finally {
        await stopStray();
        await cleanup();
      }
    }, 180_000);
  },
);
