/**
 * The images the API fakes list: the real `fixtures/debian` and `fixtures/debian-v2s2` tags of the shared
 * loopback registry (digests read from it when it answers), plus made-up repositories that only fill
 * pages. Pull references point at the real registry, so what the fakes list can be pulled.
 */
import { spawnSync } from 'node:child_process';
import { expect, it } from 'vitest';
import { createRegistryClient, type CatalogImage } from '../../../core/src/source/index.js';
import { TEST_REGISTRY, haveTestImages, skipReason } from '../../helpers/env.js';

export const registryUp: boolean =
  haveTestImages &&
  spawnSync('curl', ['-fsS', '-o', '/dev/null', '--max-time', '3', `http://${TEST_REGISTRY}/v2/`]).status ===
    0;

/** Prints the reason (once per suite) and returns true when the real registry is not there. */
export function skipWithoutRegistry(): boolean {
  return (
    !registryUp &&
    skipReason(`no registry at ${TEST_REGISTRY}: run \`bash scripts/test-images.sh registry-start\``)
  );
}

export interface FixtureTag {
  name: string;
  digest: string;
  /** Epoch ms the fakes report as push/update time. */
  updatedMs: number;
  createdMs: number;
}

export interface FixtureRepo {
  /** `namespace/name` as pulled. */
  path: string;
  /** True for repositories that live in the real registry. */
  real: boolean;
  tags: FixtureTag[];
}

const DAY = 86_400_000;
export const FIXED_NOW = Date.parse('2026-12-01T12:00:00Z');

function fakeDigest(seed: string): string {
  return `sha256:${Buffer.from(seed.padEnd(32, '.')).toString('hex').slice(0, 64).padEnd(64, '0')}`;
}

/** Real repos first (with their real digests when the registry answers), then page fillers. */
export async function readFixtureRepos(): Promise<FixtureRepo[]> {
  const real: FixtureRepo[] = [];
  const client = registryUp ? createRegistryClient({ env: {} }) : undefined;
  try {
    for (const [i, path] of ['fixtures/debian', 'fixtures/debian-v2s2'].entries()) {
      const tags: FixtureTag[] = [];
      for (const [j, name] of ['min', 'multi'].entries()) {
        const digest = client
          ? await client.resolveDigest(`${TEST_REGISTRY}/${path}:${name}`)
          : fakeDigest(`${path}:${name}`);
        tags.push({
          name,
          digest,
          updatedMs: FIXED_NOW - (i * 2 + j + 1) * DAY,
          createdMs: FIXED_NOW - 30 * DAY,
        });
      }
      real.push({ path, real: true, tags });
    }
  } finally {
    await client?.close();
  }
  const fillers: FixtureRepo[] = ['fixtures/filler-a', 'fixtures/filler-b', 'fixtures/filler-c'].map(
    (path, i) => ({
      path,
      real: false,
      tags: [
        {
          name: 'v1',
          digest: fakeDigest(path),
          updatedMs: FIXED_NOW - (10 + i) * DAY,
          createdMs: FIXED_NOW - 40 * DAY,
        },
      ],
    }),
  );
  return [...real, ...fillers];
}

/**
 * The lister's promise that what it lists can be pulled: every reference `list` yields (two tags of a
 * fixture repository) resolves, at the real registry, to the digest the lister gave.
 */
export function testListsPullableReferences(list: () => AsyncIterable<CatalogImage>): void {
  it.skipIf(skipWithoutRegistry())(
    'lists references the registry client pulls from the real registry',
    async () => {
      const client = createRegistryClient({ env: {} });
      try {
        const images: CatalogImage[] = [];
        for await (const image of list()) images.push(image);
        expect(images).toHaveLength(2);
        for (const image of images) expect(await client.resolveDigest(image.reference)).toBe(image.digest);
      } finally {
        await client.close();
      }
    },
  );
}
