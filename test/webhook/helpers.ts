import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  DEFAULT_POLICY,
  evaluatePolicy,
  parsePolicy,
  policyDigest,
  resolvePolicy,
  type ResolvedPolicy,
} from '../../core/src/policy/index.js';
import type { ScanResult } from '../../core/src/types/index.js';
import { FIXTURES } from '../helpers/env.js';
import {
  createLogger,
  createCorePolicyEngine,
  createWebhookApp,
  silentLogger,
  type Logger,
  parseWebhookConfig,
  type MutablePolicyEngine,
  type StoredScan,
  type VerdictStore,
  type WebhookDeps,
} from '../../webhook/src/index.js';

export const ADMISSION = join(FIXTURES, 'admission');
export const MULTI_DIGEST = 'sha256:0720cff0902dcb53125c308d97ace3a17a16772b90489e81ec2796c34bddad29';
export const MIN_DIGEST = 'sha256:aa18d69e2e0cd7626c2d1c3d7fb052c17eeed3b0ca55d9b9fa541857a9a33268';
/** The fixture images by digest, as pods name them (the loopback registry of the tests). */
export const MULTI_REF = `127.0.0.1:5000/fixtures/debian@${MULTI_DIGEST}`;
export const MIN_REF = `127.0.0.1:5000/fixtures/debian@${MIN_DIGEST}`;
/** The fixture scans finished at 15:52; decisions are made a few minutes later. */
export const NOW = new Date('2026-11-27T16:00:00Z');

export function readScan(name: 'min' | 'multi'): ScanResult {
  return JSON.parse(readFileSync(join(ADMISSION, 'scans', `${name}.json`), 'utf8')) as ScanResult;
}

export function toStored(scan: ScanResult): StoredScan {
  return {
    digest: scan.image.digest as string,
    scan,
    scannedAt: scan.scannedAt,
    storedAt: scan.scannedAt,
    origin: 'scanner',
  };
}

/** Every AdmissionRequest fixture: `[folder/file, request]`. */
export function admissionRequests(): [string, Record<string, unknown>][] {
  const out: [string, Record<string, unknown>][] = [];
  for (const dir of readdirSync(ADMISSION, { withFileTypes: true })) {
    if (!dir.isDirectory() || !dir.name.startsWith('kubewarden-')) continue;
    for (const f of readdirSync(join(ADMISSION, dir.name)).sort()) {
      const v = JSON.parse(readFileSync(join(ADMISSION, dir.name, f), 'utf8')) as unknown;
      if (typeof v === 'object' && v !== null && !Array.isArray(v) && 'uid' in v)
        out.push([`${dir.name}/${f}`, v as Record<string, unknown>]);
    }
  }
  return out;
}

export function readRequest(path: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(ADMISSION, path), 'utf8')) as Record<string, unknown>;
}

/** Wraps a request in an admission.k8s.io/v1 AdmissionReview. */
export function toReview(request: Record<string, unknown>): Record<string, unknown> {
  return { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request };
}

/** A Pod CREATE request in `namespace` with the given container images (and optional annotations/labels). */
export function podRequest(
  images: string[],
  opts: {
    namespace?: string;
    uid?: string;
    annotations?: Record<string, string>;
    labels?: Record<string, string>;
    dryRun?: boolean;
  } = {},
): Record<string, unknown> {
  const namespace = opts.namespace ?? 'default';
  return {
    uid: opts.uid ?? `uid-${Math.random().toString(16).slice(2)}`,
    kind: { group: '', version: 'v1', kind: 'Pod' },
    resource: { group: '', version: 'v1', resource: 'pods' },
    namespace,
    name: 'app',
    operation: 'CREATE',
    userInfo: { username: 'alice' },
    dryRun: opts.dryRun ?? false,
    object: {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'app', namespace, labels: opts.labels ?? {}, annotations: opts.annotations ?? {} },
      spec: { containers: images.map((image, i) => ({ name: `c${i}`, image })) },
    },
  };
}

export const realPolicyFns = {
  evaluatePolicy: (scan: ScanResult, p: ResolvedPolicy, ctx: Parameters<typeof evaluatePolicy>[2]) =>
    evaluatePolicy(scan, p, ctx),
  policyDigest: (p: ResolvedPolicy) => policyDigest(p),
};

/** A policy engine on core's real policy code (the webhook's own wiring of it). */
export function realPolicyEngine(yaml?: string): MutablePolicyEngine<ResolvedPolicy> {
  return createCorePolicyEngine(yaml ? parsePolicy(yaml) : DEFAULT_POLICY);
}

export function resolvedPolicy(yaml: string): ResolvedPolicy {
  return resolvePolicy(parsePolicy(yaml));
}

/** A test app on the real policy, a given store and a fixed clock. */
export function testApp(
  store: VerdictStore,
  settings: Record<string, unknown> = {},
  extra: Partial<WebhookDeps> = {},
): ReturnType<typeof createWebhookApp> & { policy: MutablePolicyEngine<ResolvedPolicy> } {
  const policy = (extra.policy as MutablePolicyEngine<ResolvedPolicy> | undefined) ?? realPolicyEngine();
  const config = parseWebhookConfig({ logLevel: 'error', ...settings });
  const app = createWebhookApp({ config, policy, store, now: () => NOW, logger: silentLogger, ...extra });
  return Object.assign(app, { policy });
}

/** Collects log lines for assertions. */
export function captureLogger(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({
    level: 'debug',
    write: (l) => lines.push(JSON.parse(l) as Record<string, unknown>),
  });
  return { logger, lines };
}
