import request from 'supertest';
import { request as undiciRequest } from 'undici';
import { describe, expect, it, vi } from 'vitest';
import type { ScanResult } from '../../core/src/types/index.js';
import {
  createCachingResolver,
  createMemoryStore,
  createRegistryDigestResolver,
  type DigestResolver,
} from '../../webhook/src/index.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TEST_IMAGES, TEST_REGISTRY, haveTestImages, skipReason } from '../helpers/env.js';
import { podRequest, readScan, testApp, toReview, toStored } from './helpers.js';

const registryUp = await undiciRequest(`http://${TEST_REGISTRY}/v2/`, { headersTimeout: 2000 })
  .then(async (r) => (await r.body.dump(), r.statusCode === 200))
  .catch(() => false);
const NO_REGISTRY = `no registry at ${TEST_REGISTRY}: run \`bash scripts/test-images.sh registry-start\` (CI does)`;

/**
 * The digests the registry serves for fixtures/debian:{min,multi}: those of the OCI layout the images were
 * pushed from (images built on another day have other digests, so nothing here is hard-coded).
 */
function layoutDigest(tag: string): string {
  const index = JSON.parse(readFileSync(join(TEST_IMAGES, 'oci', 'index.json'), 'utf8')) as {
    manifests: { digest: string; annotations?: Record<string, string> }[];
  };
  const m = index.manifests.find((d) => d.annotations?.['org.opencontainers.image.ref.name'] === tag);
  if (!m) throw new Error(`no ${tag} in ${TEST_IMAGES}/oci/index.json`);
  return m.digest;
}

/** A fixture scan stored under the digest the live registry serves. */
function liveScan(name: 'min' | 'multi'): ScanResult {
  const scan = readScan(name);
  return { ...scan, image: { ...scan.image, digest: layoutDigest(name) } };
}

describe.skipIf(
  (!registryUp && skipReason(NO_REGISTRY)) ||
    (!haveTestImages && skipReason('test images not built: no OCI layout to read digests from')),
)('digest resolution against the loopback registry', () => {
  const head = createRegistryDigestResolver();
  const MULTI_DIGEST = haveTestImages ? layoutDigest('multi') : '';
  const MIN_DIGEST = haveTestImages ? layoutDigest('min') : '';

  it('resolves OCI and Docker v2 tags to their manifest digests', async () => {
    expect(await head.resolveDigest(`${TEST_REGISTRY}/fixtures/debian:multi`)).toBe(MULTI_DIGEST);
    expect(await head.resolveDigest(`${TEST_REGISTRY}/fixtures/debian:min`)).toBe(MIN_DIGEST);
    expect(await head.resolveDigest(`${TEST_REGISTRY}/fixtures/debian-v2s2:multi`)).toMatch(
      /^sha256:[a-f0-9]{64}$/,
    );
  });

  it('reports a missing tag as REGISTRY_NOT_FOUND and a dead registry as REGISTRY_UNAVAILABLE', async () => {
    await expect(head.resolveDigest(`${TEST_REGISTRY}/fixtures/debian:nope`)).rejects.toMatchObject({
      code: 'REGISTRY_NOT_FOUND',
    });
    await expect(head.resolveDigest('127.0.0.1:1/fixtures/debian:min')).rejects.toMatchObject({
      code: 'REGISTRY_UNAVAILABLE',
    });
  });

  it('admits by tag: multi denied and min allowed after resolving through the registry', async () => {
    const store = createMemoryStore();
    await store.put(toStored(liveScan('multi')));
    await store.put(toStored(liveScan('min')));
    const { app } = testApp(store);
    const deny = await request(app)
      .post('/validate')
      .send(toReview(podRequest([`${TEST_REGISTRY}/fixtures/debian:multi`])));
    expect(deny.body.response.allowed).toBe(false);
    expect(deny.body.response.status.message).toContain(
      `image ${TEST_REGISTRY}/fixtures/debian:multi (${MULTI_DIGEST.slice(0, 19)}) denied`,
    );
    const allow = await request(app)
      .post('/validate')
      .send(toReview(podRequest([`${TEST_REGISTRY}/fixtures/debian:min`])));
    expect(allow.body.response.allowed).toBe(true);
    const missing = await request(app)
      .post('/validate')
      .send(toReview(podRequest([`${TEST_REGISTRY}/fixtures/debian:nope`])));
    expect(missing.body.response.status.message).toContain('not found in its registry');
  });

  it('queues a scan of an unknown tag pinned to the digest it resolved to', async () => {
    const scanImage = vi.fn(async (): Promise<ScanResult> => liveScan('multi'));
    const t = testApp(createMemoryStore(), { unknown: 'deny' }, { scanImage });
    await request(t.app)
      .post('/validate')
      .send(toReview(podRequest([`${TEST_REGISTRY}/fixtures/debian:multi`])));
    await t.queue.idle();
    expect(scanImage).toHaveBeenCalledWith(
      `${TEST_REGISTRY}/fixtures/debian:multi@${MULTI_DIGEST}`,
      MULTI_DIGEST,
    );
  });
});

describe('digest cache', () => {
  it('caches tag answers for the TTL, coalesces concurrent lookups, and never asks for digest references', async () => {
    let t = 0;
    const inner = { resolveDigest: vi.fn(async () => `sha256:${'1'.repeat(64)}`) } satisfies DigestResolver;
    const cached = createCachingResolver(inner, { ttlMs: 1000, maxEntries: 2, now: () => t });
    await Promise.all([cached.resolveDigest('nginx:1'), cached.resolveDigest('docker.io/library/nginx:1')]);
    expect(inner.resolveDigest).toHaveBeenCalledTimes(1);
    t = 999;
    await cached.resolveDigest('nginx:1');
    expect(inner.resolveDigest).toHaveBeenCalledTimes(1);
    t = 1001;
    await cached.resolveDigest('nginx:1');
    expect(inner.resolveDigest).toHaveBeenCalledTimes(2);
    expect(await cached.resolveDigest(`nginx@sha256:${'2'.repeat(64)}`)).toBe(`sha256:${'2'.repeat(64)}`);
    expect(inner.resolveDigest).toHaveBeenCalledTimes(2);
    await cached.resolveDigest('a:1');
    await cached.resolveDigest('b:1');
    expect(cached.size()).toBe(2);
  });

  it('lets the admission hot path peek at a cached answer by normalised reference, within the TTL only', async () => {
    let t = 0;
    const digest = `sha256:${'3'.repeat(64)}`;
    const cached = createCachingResolver(
      { resolveDigest: async () => digest },
      { ttlMs: 1000, maxEntries: 10, now: () => t },
    );
    expect(cached.peekDigest?.('docker.io/library/nginx:1')).toBeUndefined();
    await cached.resolveDigest('nginx:1');
    expect(cached.peekDigest?.('docker.io/library/nginx:1')).toBe(digest);
    t = 1001;
    expect(cached.peekDigest?.('docker.io/library/nginx:1')).toBeUndefined();
  });
});
