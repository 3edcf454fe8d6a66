import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryStore, createMemoryTaskStore, scan } from '../../core/src/index.js';
import {
  createPodLister,
  listRuntimeImages,
  parseImageId,
  runRuntimeScan,
} from '../../service/src/runtime.js';
import { haveTestImages, NO_IMAGES_REASON, skipReason, TEST_REGISTRY } from '../helpers/env.js';
import { createScratch } from '../e2e/helpers.js';

const ACCEPT = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
].join(', ');

async function digestOf(repo: string, tag: string): Promise<string> {
  const res = await fetch(`http://${TEST_REGISTRY}/v2/${repo}/manifests/${tag}`, {
    method: 'HEAD',
    headers: { accept: ACCEPT },
  });
  return res.headers.get('docker-content-digest') as string;
}

/** A pod of the documented v1 Pod shape, the parts the scan reads. */
function pod(ns: string, name: string, imageIds: string[]) {
  return {
    metadata: { namespace: ns, name, uid: `${ns}-${name}` },
    spec: { containers: imageIds.map((_, i) => ({ name: `c${i}`, image: 'ignored' })) },
    status: {
      phase: 'Running',
      containerStatuses: imageIds.map((id, i) => ({
        name: `c${i}`,
        imageID: id,
        image: 'x',
        ready: true,
        restartCount: 0,
      })),
    },
  };
}

/**
 * A loopback fake of `GET /api/v1/pods` (PodList, `limit` + `continue` as documented: the token of the next page
 * in `metadata.continue`, empty on the last; an unknown token answers 410 Gone with a Status object).
 */
async function startFakeApi(
  pods: ReturnType<typeof pod>[],
): Promise<{ server: Server; url: string; requests: string[] }> {
  const requests: string[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    requests.push(url.pathname + url.search);
    if (url.pathname !== '/api/v1/pods') {
      res.writeHead(404, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          kind: 'Status',
          apiVersion: 'v1',
          status: 'Failure',
          reason: 'NotFound',
          code: 404,
        }),
      );
      return;
    }
    const limit = Number(url.searchParams.get('limit') ?? pods.length);
    const cont = url.searchParams.get('continue');
    const start = cont ? Number(/^page-(\d+)$/.exec(cont)?.[1] ?? NaN) : 0;
    if (Number.isNaN(start)) {
      res.writeHead(410, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          kind: 'Status',
          apiVersion: 'v1',
          status: 'Failure',
          reason: 'Expired',
          code: 410,
        }),
      );
      return;
    }
    const items = pods.slice(start, start + limit);
    const next = start + limit < pods.length ? `page-${start + limit}` : undefined;
    res.writeHead(200, { 'content-type': 'application/json' }).end(
      JSON.stringify({
        kind: 'PodList',
        apiVersion: 'v1',
        metadata: { resourceVersion: '42', ...(next ? { continue: next } : {}) },
        items,
      }),
    );
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, requests };
}

describe.skipIf(!haveTestImages && skipReason(NO_IMAGES_REASON))(
  'runtime image scan (loopback fake of the Kubernetes API)',
  () => {
    let api: Awaited<ReturnType<typeof startFakeApi>>;
    let scratch: Awaited<ReturnType<typeof createScratch>>;
    let kubeconfig: string;
    let min: string;
    let multi: string;

    beforeAll(async () => {
      [min, multi] = await Promise.all([
        digestOf('fixtures/debian', 'min'),
        digestOf('fixtures/debian', 'multi'),
      ]);
      const id = (d: string) => `docker-pullable://${TEST_REGISTRY}/fixtures/debian@${d}`;
      api = await startFakeApi([
        pod('team-a', 'web-1', [id(min)]),
        pod('team-a', 'web-2', [id(min)]),
        pod('team-b', 'worker-1', [id(multi), `${TEST_REGISTRY}/fixtures/debian@${min}`]),
        pod('team-b', 'pending-1', []),
        pod('kube-system', 'proxy', [
          'docker://sha256:0000000000000000000000000000000000000000000000000000000000000000',
        ]),
      ]);
      scratch = await createScratch('runtime');
      kubeconfig = join(scratch.dir, 'kubeconfig');
      await writeFile(
        kubeconfig,
        [
          'apiVersion: v1',
          'kind: Config',
          'clusters: [{ name: fake, cluster: { server: "' +
            api.url +
            '", insecure-skip-tls-verify: true } }]',
          'users: [{ name: tester, user: { token: "t" } }]',
          'contexts: [{ name: fake, context: { cluster: fake, user: tester } }]',
          'current-context: fake',
        ].join('\n'),
      );
    });
    afterAll(async () => {
      api?.server.close();
      await scratch?.cleanup();
    });

    it('reads imageID digests over every page (continue) and says which pods use each image', async () => {
      const images = await listRuntimeImages(createPodLister({ kubeconfig, pageSize: 2 }));
      expect(api.requests.filter((r) => r.startsWith('/api/v1/pods'))).toEqual(
        [
          '/api/v1/pods?limit=2',
          '/api/v1/pods?continue=page-2&limit=2',
          '/api/v1/pods?continue=page-4&limit=2',
        ].map((p) => expect.stringMatching(new RegExp(`^${p.replace(/[?]/g, '\\?').split('&').join('.*')}`))),
      );
      expect(images.map((i) => [i.digest, i.usedBy])).toEqual([
        [min, ['team-a/web-1', 'team-a/web-2', 'team-b/worker-1']],
        [multi, ['team-b/worker-1']],
      ]);
      // a bare image id (no repository) cannot be pulled: it is not listed
      expect(parseImageId('docker://sha256:' + '0'.repeat(64))).toBeUndefined();
    });

    it('scans images without a fresh result, skips fresh ones, and logs the pods of each', async () => {
      const tasks = createMemoryTaskStore();
      const verdicts = createMemoryStore();
      const scanned: string[] = [];
      const run = () =>
        runRuntimeScan({
          list: createPodLister({ kubeconfig, pageSize: 2 }),
          tasks,
          verdicts,
          scanners: ['baseline'],
          freshMs: 3_600_000,
          scan: async (reference) => {
            scanned.push(reference);
            return scan(`registry:${reference}`, { scanners: ['baseline'] });
          },
        });
      const first = await run();
      expect(first).toMatchObject({ trigger: 'runtime', status: 'succeeded' });
      expect(first.progress).toMatchObject({ inScope: 2, scanned: 2, skipped: 0, failed: 0 });
      const log = await tasks.readLog(first.id);
      expect(log.find((e) => e.digest === min)?.usedBy).toEqual([
        'team-a/web-1',
        'team-a/web-2',
        'team-b/worker-1',
      ]);
      expect(
        (await verdicts.get(multi))?.scan.findings.some((f) => f.id === 'PCS-BASELINE-SSHD-ROOT-LOGIN'),
      ).toBe(true);
      // the second run finds both fresh: nothing pulled again
      const second = await run();
      expect(second.progress).toMatchObject({ inScope: 2, scanned: 0, skipped: 2 });
      expect(scanned).toHaveLength(2);
      expect(
        (await tasks.readLog(second.id)).every(
          (e) => e.outcome === 'skipped' && /fresh result/.test(e.cause ?? ''),
        ),
      ).toBe(true);
    }, 120_000);

    it('fails the task with a reason when the API refuses the listing', async () => {
      const tasks = createMemoryTaskStore();
      const task = await runRuntimeScan({
        list: async () => {
          throw new Error(
            'pods is forbidden: User "system:serviceaccount:portcullis:scan" cannot list resource "pods"',
          );
        },
        tasks,
        verdicts: createMemoryStore(),
        scanners: [],
        freshMs: 0,
        scan: async () => {
          throw new Error('not reached');
        },
      });
      expect(task.status).toBe('failed');
      expect(task.error).toMatch(/^listing pods failed: pods is forbidden/);
    });
  },
);
