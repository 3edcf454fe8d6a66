import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { baselineAnalyzer, KNOWN_SETUID_PATHS } from '../../../core/src/analyzers/baseline/index.js';
import { buildInstructionAnalyzer } from '../../../core/src/analyzers/buildinstruction/index.js';
import type { ImageContext } from '../../../core/src/analyzers/analyzer.js';
import type { Finding } from '../../../core/src/types/finding.js';
import type { ImageConfig } from '../../../core/src/types/image.js';
import { FIXTURES, haveTestImages, NO_IMAGES_REASON, skipReason, TEST_IMAGES } from '../../helpers/env.js';
import { mergeLayers, readHeadersTsv, readLayerDir, readOciImage } from './image-files.js';

const FIXTURE = join(FIXTURES, 'baseline', 'multi');

function context(config: ImageConfig, layers: string[], files: ImageContext['files']): ImageContext {
  return {
    image: {
      ref: 'oci:multi',
      configDigest: 'sha256:cfg',
      config,
      layers: layers.map((digest) => ({ digest })),
    },
    files,
    hidden: [],
    options: {},
  };
}

async function run(ctx: ImageContext): Promise<Finding[]> {
  const baseline = await baselineAnalyzer.analyzeImage?.(ctx);
  const history = await buildInstructionAnalyzer.analyzeImage?.(ctx);
  return [...(baseline?.findings ?? []), ...(history?.findings ?? [])];
}

/** The risks the `multi` image plants (shared/scripts/test-images.sh), as [id, path or source]. */
function expectPlantedRisks(findings: Finding[], layers: string[]): void {
  const at = (id: string): Finding[] => findings.filter((f) => f.id === id);
  expect(at('PCS-BASELINE-SETUID').map((f) => [f.location.path, f.location.layerDigest, f.evidence])).toEqual(
    [['/usr/local/bin/suidbash', layers[1], 'mode 4755 uid 0 gid 0']],
  );
  expect(
    at('PCS-BASELINE-EMPTY-PASSWORD').map((f) => [f.location.path, f.location.line, f.evidence]),
  ).toEqual([['/etc/shadow', 6, 'games:<empty password field>']]);
  expect(at('PCS-BASELINE-SSHD-ROOT-LOGIN').map((f) => [f.location.path, f.location.line])).toEqual([
    ['/etc/ssh/sshd_config', 1],
  ]);
  expect(at('PCS-BASELINE-SSHD-PASSWORD-AUTH').map((f) => f.location.line)).toEqual([2]);
  expect(at('PCS-BASELINE-ROOT-USER').map((f) => [f.location.source, f.evidence])).toEqual([
    ['config.User', 'User="0:0"'],
  ]);
  expect(at('PCS-BASELINE-NO-HEALTHCHECK').map((f) => f.location.source)).toEqual(['config.Healthcheck']);
  expect(at('PCS-BUILD-PIPE-TO-SHELL').map((f) => [f.location.source, f.location.layerDigest])).toEqual([
    ['history[2].created_by', layers[1]],
  ]);
  expect(at('PCS-BUILD-CHMOD-SETUID').map((f) => f.location.source)).toEqual(['history[2].created_by']);
  // Nothing else is planted: no package caches, no world-writable PATH entries, no weak hashes.
  const ids = new Set(findings.map((f) => f.id));
  expect([...ids].sort()).toEqual(
    [
      'PCS-BASELINE-EMPTY-PASSWORD',
      'PCS-BASELINE-NO-HEALTHCHECK',
      'PCS-BASELINE-ROOT-USER',
      'PCS-BASELINE-SETUID',
      'PCS-BASELINE-SSHD-PASSWORD-AUTH',
      'PCS-BASELINE-SSHD-ROOT-LOGIN',
      'PCS-BUILD-CHMOD-SETUID',
      'PCS-BUILD-PIPE-TO-SHELL',
    ].sort(),
  );
}

describe('the multi test image, from committed fixtures (fresh clone)', () => {
  const config = JSON.parse(readFileSync(join(FIXTURE, 'config.json'), 'utf8')) as ImageConfig;
  const layers = readFileSync(join(FIXTURE, 'layers.txt'), 'utf8').trim().split('\n');
  const headers = readHeadersTsv(readFileSync(join(FIXTURE, 'headers.tsv'), 'utf8'), layers);
  const buffered = (path: string, file: string) => ({
    path,
    kind: 'file' as const,
    mode: 0o640,
    size: 0,
    uid: 0,
    gid: 0,
    layerIndex: 1,
    layerDigest: layers[1] as string,
    content: readFileSync(join(FIXTURE, file)),
  });
  const files = new Map(
    [...headers, buffered('/etc/shadow', 'shadow'), buffered('/etc/ssh/sshd_config', 'sshd_config')].map(
      (f) => [f.path, f],
    ),
  );

  it('yields the planted baseline and history risks, and nothing else', async () => {
    expectPlantedRisks(await run(context(config, layers, files)), layers);
  });
});

describe.skipIf(!haveTestImages && skipReason(NO_IMAGES_REASON))(
  'the multi test image, from the built image',
  () => {
    it('reads config from the OCI layout and files from both unpacked layers', async () => {
      const image = readOciImage(join(TEST_IMAGES, 'oci'), 'multi');
      const files = mergeLayers([
        readLayerDir(join(TEST_IMAGES, 'rootfs'), 0, image.layers[0] as string),
        readLayerDir(join(TEST_IMAGES, 'l2'), 1, image.layers[1] as string),
      ]);
      expect(files.size).toBeGreaterThan(5000);
      expect(files.has('/etc/motd')).toBe(false); // deleted by layer 2's whiteout
      expect([...files.keys()].some((p) => p.startsWith('/var/log/'))).toBe(false); // opaque directory
      expectPlantedRisks(await run(context(image.config, image.layers, files)), image.layers);
    });

    it('knows every setuid/setgid file of the real Debian rootfs', () => {
      const listed = execFileSync('find', ['.', '-perm', '/6000', '-type', 'f'], {
        cwd: join(TEST_IMAGES, 'rootfs'),
        encoding: 'utf8',
      })
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => l.slice(1))
        .sort();
      console.log(`Debian rootfs setuid/setgid files: ${listed.join(' ')}`);
      expect(listed.length).toBeGreaterThan(5);
      for (const p of listed) expect(KNOWN_SETUID_PATHS).toContain(p);
    });
  },
);
