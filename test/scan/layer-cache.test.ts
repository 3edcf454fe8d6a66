import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_POLICY,
  createLayerCache,
  evaluatePolicy,
  renderReport,
  resolvePolicy,
  scan,
  type ScanResult,
} from '../../core/src/index.js';
import { NO_IMAGES_REASON, TEST_IMAGES, haveTestImages, skipReason } from '../helpers/env.js';

const NOW = new Date('2026-12-01T00:00:00Z');
const OCI = join(TEST_IMAGES, 'oci');
// the OCI layout's layers are gzip blobs; docker save stores the same layers uncompressed, under other digests
const IMAGES = {
  'oci min': `oci:${OCI}:min`,
  'oci multi': `oci:${OCI}:multi`,
  'docker multi': `docker-archive:${join(TEST_IMAGES, 'docker-multi.tar')}`,
};

function toJsonReport(result: ScanResult): string {
  const policy = resolvePolicy(DEFAULT_POLICY);
  return renderReport('json', result, evaluatePolicy(result, policy, { now: NOW }), {
    now: NOW,
    newId: () => 'id',
    toolVersion: 'test',
    color: false,
  });
}

describe.skipIf(!haveTestImages && skipReason(NO_IMAGES_REASON))(
  'layer cache (real multi/min images)',
  () => {
    it('gives the same reports cached and uncached, and reads shared base layers once', async () => {
      const uncached: Record<string, string> = {};
      for (const [name, input] of Object.entries(IMAGES))
        uncached[name] = toJsonReport(await scan(input, { now: () => NOW }));

      const cache = createLayerCache();
      const cached: Record<string, string> = {};
      // multi's base layer is min's only layer: min (cold) fills it, multi reuses it, then both again fully warm
      for (const name of ['oci min', 'oci multi', 'docker multi', 'oci multi'] as const) {
        const before = { ...cache.stats };
        const report = toJsonReport(await scan(IMAGES[name], { now: () => NOW, layerCache: cache }));
        expect(report, `${name} (hits ${cache.stats.hits - before.hits})`).toBe(uncached[name]);
        cached[name] = report;
      }
      // min: 1 miss; oci multi: 1 hit + 1 miss; docker multi: 2 hits (same diffIDs, other blob digests); oci multi: 2 hits
      expect(cache.stats).toMatchObject({ hits: 5, misses: 2, layers: 2 });
      // the reports name each image's own layer digests, not the ones the cache was filled from
      const docker = JSON.parse(cached['docker multi'] as string) as {
        findings: { location: { layerDigest?: string } }[];
      };
      const ociMulti = JSON.parse(cached['oci multi'] as string) as typeof docker;
      const digests = (r: typeof docker) =>
        new Set(r.findings.map((f) => f.location.layerDigest).filter(Boolean));
      expect([...digests(docker)].some((d) => digests(ociMulti).has(d))).toBe(false);
      expect(digests(docker).size).toBeGreaterThan(0);
    }, 180_000);

    it('does not reuse a layer for other analyzer settings (scanners differ → other key)', async () => {
      const cache = createLayerCache();
      await scan(IMAGES['oci min'], { now: () => NOW, layerCache: cache, scanners: ['secret'] });
      const baseline = await scan(IMAGES['oci min'], {
        now: () => NOW,
        layerCache: cache,
        scanners: ['baseline'],
      });
      expect(cache.stats).toMatchObject({ hits: 0, misses: 2 });
      const fresh = await scan(IMAGES['oci min'], { now: () => NOW, scanners: ['baseline'] });
      expect(toJsonReport(baseline)).toBe(toJsonReport(fresh));
    }, 120_000);
  },
);
