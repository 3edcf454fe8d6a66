/**
 * Admission latency and throughput over TLS: `npx tsx bench/webhook.ts` prints one JSON document.
 *
 * Two servers, each in its own process so the load generator does not share their event loop:
 * - `webhook`: the real app (startWebhookServer), memory store holding the min and multi scans, default policy;
 *   every request is a Pod with both images by digest, so each answer is two store hits and two policy evaluations
 *   (a cached decision: no registry, no scan).
 * - `bare`: node:https answering `allowed: true` with the uid echoed (the floor any webhook pays for TLS + JSON).
 * For each: a fixed-rate run (2,000 req/s) for latency, then an unthrottled run for throughput.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_POLICY, evaluatePolicy, policyDigest, resolvePolicy } from '../core/src/policy/index.js';
import type { ScanResult } from '../core/src/types/index.js';
import {
  createMemoryStore,
  createPolicyEngine,
  generateServingCert,
  parseWebhookConfig,
  silentLogger,
  startWebhookServer,
} from '../webhook/src/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const SCANS = join(here, '..', 'test', 'fixtures', 'admission', 'scans');
const MIN = 'sha256:aa18d69e2e0cd7626c2d1c3d7fb052c17eeed3b0ca55d9b9fa541857a9a33268';
const MULTI = 'sha256:0720cff0902dcb53125c308d97ace3a17a16772b90489e81ec2796c34bddad29';
const RATE = Number(process.env.BENCH_RATE ?? 2000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 20);

interface AutocannonResult {
  latency: { p50: number; p90: number; p99: number; max: number; average: number };
  requests: { average: number; total: number };
  errors: number;
  timeouts: number;
  non2xx: number;
  duration: number;
}
type Autocannon = (opts: Record<string, unknown>) => Promise<AutocannonResult>;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

const review = JSON.stringify({
  apiVersion: 'admission.k8s.io/v1',
  kind: 'AdmissionReview',
  request: {
    uid: '7f0b2891-916f-4ed6-b7cd-27bff1815a8c',
    kind: { group: '', version: 'v1', kind: 'Pod' },
    resource: { group: '', version: 'v1', resource: 'pods' },
    namespace: 'default',
    operation: 'CREATE',
    userInfo: { username: 'bench' },
    object: {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'bench', namespace: 'default' },
      spec: {
        containers: [
          { name: 'min', image: `127.0.0.1:5000/fixtures/debian@${MIN}` },
          { name: 'multi', image: `127.0.0.1:5000/fixtures/debian@${MULTI}` },
        ],
      },
    },
  },
});

/** Child mode: serve and print the port. */
async function serve(kind: string): Promise<void> {
  const tls = await generateServingCert({ service: 'bench', namespace: 'bench' });
  if (kind === 'bare') {
    const server = createServer({ cert: tls.cert, key: tls.key }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const uid = (JSON.parse(Buffer.concat(chunks).toString()) as { request: { uid: string } }).request
          .uid;
        res.setHeader('content-type', 'application/json');
        res.end(
          JSON.stringify({
            apiVersion: 'admission.k8s.io/v1',
            kind: 'AdmissionReview',
            response: { uid, allowed: true },
          }),
        );
      });
    });
    server.keepAliveTimeout = 65_000;
    server.listen(0, '127.0.0.1', () =>
      console.log(JSON.stringify({ port: (server.address() as { port: number }).port })),
    );
    return;
  }
  const { mkdtempSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(join(tmpdir(), 'pc-bench-'));
  writeFileSync(join(dir, 'tls.crt'), tls.cert);
  writeFileSync(join(dir, 'tls.key'), tls.key);
  const store = createMemoryStore();
  for (const name of ['min', 'multi']) {
    const scan = JSON.parse(readFileSync(join(SCANS, `${name}.json`), 'utf8')) as ScanResult;
    await store.put({
      digest: scan.image.digest as string,
      scan,
      scannedAt: scan.scannedAt,
      storedAt: scan.scannedAt,
      origin: 'scanner',
    });
  }
  const policy = createPolicyEngine(resolvePolicy(DEFAULT_POLICY), {
    evaluatePolicy: (scan, p, ctx) => evaluatePolicy(scan, p, ctx),
    policyDigest: (p) => policyDigest(p),
  });
  const config = parseWebhookConfig({
    host: '127.0.0.1',
    port: 0,
    tls: { certFile: join(dir, 'tls.crt'), keyFile: join(dir, 'tls.key') },
    logLevel: 'error',
  });
  // The fixture scans are from 2026-11-27; pin the clock so they stay fresh under the default maxVerdictAge.
  const server = await startWebhookServer(config, {
    policy,
    store,
    logger: silentLogger,
    now: () => new Date('2026-11-27T16:00:00Z'),
  });
  console.log(JSON.stringify({ port: server.port }));
}

function startChild(kind: string): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(import.meta.url), '--serve', kind],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve({ child, port: (JSON.parse(line) as { port: number }).port });
    });
    child.once('exit', (code) => reject(new Error(`${kind} server exited ${code}`)));
  });
}

async function load(port: number, rate: number | undefined, seconds: number): Promise<AutocannonResult> {
  return autocannon({
    url: `https://127.0.0.1:${port}/validate?timeout=10s`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: review,
    connections: CONNECTIONS,
    duration: seconds,
    ...(rate ? { overallRate: rate } : {}),
  });
}

const summary = (r: AutocannonResult) => ({
  p50Ms: r.latency.p50,
  p90Ms: r.latency.p90,
  p99Ms: r.latency.p99,
  maxMs: r.latency.max,
  reqPerSec: r.requests.average,
  total: r.requests.total,
  errors: r.errors + r.timeouts,
  non2xx: r.non2xx,
});

async function main(): Promise<void> {
  const out: Record<string, unknown> = {
    node: process.version,
    body: 'Pod with min + multi by digest (2 store hits, 2 policy evaluations, one deny)',
    connections: CONNECTIONS,
    fixedRate: RATE,
    seconds: SECONDS,
  };
  for (const kind of ['bare', 'webhook']) {
    const { child, port } = await startChild(kind);
    try {
      await load(port, undefined, 1); // warm-up: JIT, TLS sessions
      const fixed = await load(port, RATE, SECONDS);
      const max = await load(port, undefined, Math.max(3, Math.round(SECONDS / 2)));
      out[kind] = { fixedRate: summary(fixed), unthrottled: summary(max) };
    } finally {
      child.kill('SIGTERM');
    }
  }
  const b = out.bare as { unthrottled: { reqPerSec: number } };
  const w = out.webhook as { unthrottled: { reqPerSec: number }; fixedRate: { p99Ms: number } };
  out.webhookVsBareThroughput = Number((w.unthrottled.reqPerSec / b.unthrottled.reqPerSec).toFixed(3));
  out.targets = {
    p99AtFixedRateMs: 5,
    p99Met: w.fixedRate.p99Ms <= 5,
    throughputShare: 0.5,
    throughputMet: w.unthrottled.reqPerSec >= 0.5 * b.unthrottled.reqPerSec,
  };
  console.log(JSON.stringify(out, null, 2));
}

const serveIdx = process.argv.indexOf('--serve');
if (serveIdx >= 0) await serve(process.argv[serveIdx + 1] ?? 'webhook');
else await main();
