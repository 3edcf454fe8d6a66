/**
 * Registry-scan benchmark: one task over 20 tags of one image family that share their base layer (10 tags
 * of the one-layer `min` image, 10 of the two-layer `multi` image built on it, each tag its own config and
 * manifest digest), listed and pulled through the real distribution lister and registry client from a
 * loopback registry that serves the OCI layout. Three runs: no layer cache, a cold cache (fresh at the task's
 * start: every unique layer is read once) and a warm one (filled by a previous task).
 * Run: `node --import tsx bench/registry-scan.ts`. Prints one JSON line. Not a test: nothing asserts a time.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { createLayerCache, type LayerCache, type Policy } from '../core/src/index.js';
import { createRegistryScanTask, runRegistryScan } from '../core/src/registry-scan/index.js';
import { createMemoryStore, createMemoryTaskStore } from '../core/src/store/index.js';

const IMAGES = process.env.PORTCULLIS_TEST_IMAGES ?? process.env.WORK ?? '/tmp/portcullis-images';
const LAYOUT = join(IMAGES, 'oci');
const TAGS = 20;
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

if (!existsSync(join(LAYOUT, 'index.json'))) {
  console.log(JSON.stringify({ bench: 'registry-scan', skipped: `no OCI layout at ${LAYOUT}` }));
  process.exit(0);
}

const sha = (b: Buffer | string): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const blobPath = (digest: string): string => join(LAYOUT, 'blobs', ...digest.split(':'));

/** tag → manifest bytes; digest → blob bytes (configs made per tag, layers read from the layout). */
function buildFamily(): { manifests: Map<string, Buffer>; configs: Map<string, Buffer> } {
  const index = JSON.parse(readFileSync(join(LAYOUT, 'index.json'), 'utf8')) as {
    manifests: { digest: string; annotations?: Record<string, string> }[];
  };
  const byName = (name: string) => {
    const d = index.manifests.find(
      (m) => m.annotations?.['org.opencontainers.image.ref.name'] === name,
    )?.digest;
    if (!d) throw new Error(`no ${name} in ${LAYOUT}`);
    return JSON.parse(readFileSync(blobPath(d), 'utf8')) as {
      config: { digest: string };
      layers: unknown[];
    };
  };
  const manifests = new Map<string, Buffer>();
  const configs = new Map<string, Buffer>();
  for (let i = 0; i < TAGS; i++) {
    const base = byName(i < TAGS / 2 ? 'min' : 'multi');
    const config = JSON.parse(readFileSync(blobPath(base.config.digest), 'utf8')) as {
      config?: { Labels?: Record<string, string> };
    };
    config.config = { ...config.config, Labels: { ...config.config?.Labels, 'bench.tag': String(i) } };
    const configBytes = Buffer.from(JSON.stringify(config));
    configs.set(sha(configBytes), configBytes);
    const manifest = {
      ...base,
      mediaType: OCI_MANIFEST,
      config: {
        mediaType: 'application/vnd.oci.image.config.v1+json',
        digest: sha(configBytes),
        size: configBytes.length,
      },
    };
    manifests.set(`v${i}`, Buffer.from(JSON.stringify(manifest)));
  }
  return { manifests, configs };
}

async function startRegistry(): Promise<{ origin: string; server: Server; blobReads: () => number }> {
  const { manifests, configs } = buildFamily();
  const byDigest = new Map([...manifests.values()].map((m) => [sha(m), m]));
  let layerReads = 0;
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const send = (status: number, body: Buffer | string, headers: Record<string, string> = {}): void => {
      res.writeHead(status, { 'content-length': String(Buffer.byteLength(body)), ...headers });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (path === '/v2/') return send(200, '{}');
    if (path === '/v2/_catalog') return send(200, JSON.stringify({ repositories: ['bench/app'] }));
    if (path === '/v2/bench/app/tags/list')
      return send(200, JSON.stringify({ name: 'bench/app', tags: [...manifests.keys()] }));
    const m = /^\/v2\/bench\/app\/(manifests|blobs)\/(.+)$/.exec(path);
    if (m?.[1] === 'manifests') {
      const body = manifests.get(m[2] as string) ?? byDigest.get(m[2] as string);
      if (!body) return send(404, '{"errors":[{"code":"MANIFEST_UNKNOWN"}]}');
      return send(200, body, { 'content-type': OCI_MANIFEST, 'docker-content-digest': sha(body) });
    }
    if (m?.[1] === 'blobs') {
      const digest = m[2] as string;
      const config = configs.get(digest);
      if (config) return send(200, config);
      if (!existsSync(blobPath(digest))) return send(404, '{"errors":[{"code":"BLOB_UNKNOWN"}]}');
      layerReads++;
      return send(200, readFileSync(blobPath(digest)));
    }
    send(404, '{}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { origin: `http://127.0.0.1:${port}`, server, blobReads: () => layerReads };
}

async function runOnce(origin: string, layerCache: LayerCache | false) {
  const policy: Policy = {
    apiVersion: 'portcullis/v1',
    registries: [{ name: 'bench', kind: 'distribution', url: origin }],
  };
  const tasks = createMemoryTaskStore();
  const req = {
    policy,
    tasks,
    verdicts: createMemoryStore(),
    env: {},
    layerCache,
  };
  const task = await createRegistryScanTask(req);
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const done = await runRegistryScan(task, req);
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(c0);
  if (done.status !== 'succeeded' || done.progress.scanned !== TAGS)
    throw new Error(
      `task ${done.status}: ${JSON.stringify(done.progress)} ${JSON.stringify(await tasks.readLog(task.id))}`,
    );
  return {
    wallMs: Math.round(ms),
    cpuMs: Math.round((cpu.user + cpu.system) / 1000),
    imagesPerMinute: Math.round((TAGS / ms) * 60_000),
  };
}

const { origin, server, blobReads } = await startRegistry();
try {
  // one uncounted task first: module loading and JIT warm-up would otherwise land on whichever run is first
  await runOnce(origin, false);
  const r00 = blobReads();
  const noCache = { ...(await runOnce(origin, false)) };
  const r0 = blobReads();
  const cache = createLayerCache();
  // the default of a task is a fresh cache: "cold" is exactly what `registry scan` does
  const cold = { ...(await runOnce(origin, cache)), layerBlobsPulled: blobReads() - r0 };
  const r1 = blobReads();
  const warm = { ...(await runOnce(origin, cache)), layerBlobsPulled: blobReads() - r1 };
  console.log(
    JSON.stringify({
      bench: 'registry-scan',
      tags: TAGS,
      family: '10 × min (1 layer) + 10 × multi (min + 1 layer), every analyzer, no vulnerability DB',
      noCache: { ...noCache, layerBlobsPulled: r0 - r00 },
      cold,
      warm,
      cache: cache.stats,
      loadAverage: loadavg()
        .map((l) => l.toFixed(2))
        .join(' '),
    }),
  );
} finally {
  server.close();
}
