// The real process entry (`node bin/portcullis.js`): exit codes 0 / 1 / 2 as the README promises, and a
// large report written to a pipe arrives whole before the process exits.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haveTestImages, NO_IMAGES_REASON, ROOT, skipReason, TEST_IMAGES } from '../helpers/env.js';
import { createScratch, E2E_FIXTURES, portcullisBinary, toErrorCode, type JsonReport } from './helpers.js';

describe('node bin/portcullis.js', () => {
  let dir: string;
  let cleanup: () => Promise<void> = async () => undefined;
  beforeAll(async () => {
    ({ dir, cleanup } = await createScratch('binary'));
  });
  afterAll(async () => {
    await cleanup();
  });

  it('prints its version and exits 0', async () => {
    const run = await portcullisBinary(['--version']);
    expect(run.code).toBe(0);
    expect(run.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('exits 0 on an allowed Dockerfile and 1 on a denied one', async () => {
    const good = join(dir, 'Dockerfile.good');
    await writeFile(
      good,
      [
        'FROM debian:12.8-slim@sha256:' + 'a'.repeat(64),
        'RUN useradd --create-home app',
        'USER app',
        'HEALTHCHECK CMD ["true"]',
        'CMD ["sleep", "1"]',
        '',
      ].join('\n'),
    );
    const allowed = await portcullisBinary(['dockerfile', good, '--format', 'json']);
    expect(allowed.stderr).toBe('');
    expect(allowed.code).toBe(0);
    expect((JSON.parse(allowed.stdout) as JsonReport).verdict.decision).not.toBe('deny');
    const denied = await portcullisBinary(['dockerfile', join(E2E_FIXTURES, 'Dockerfile.bad')]);
    expect(denied.code).toBe(1);
    expect(denied.stdout).toMatch(/DENY/);
  });

  it('exits 2 with one error line on a usage mistake and on an invalid policy', async () => {
    const format = await portcullisBinary(['scan', 'examples/alpine-311.tar.gz', '--format', 'xml']);
    expect(format.code).toBe(2);
    expect(toErrorCode(format.stderr), format.stderr).toBe('USAGE_INVALID');
    const unknown = await portcullisBinary(['no-such-command']);
    expect(unknown.code).toBe(2);
    const policy = await portcullisBinary(['policy', 'check', join(E2E_FIXTURES, 'invalid-policy.yaml')]);
    expect(policy.code).toBe(2);
    expect(policy.stderr.split('\n')[0]).toMatch(/^portcullis: POLICY_INVALID: /);
  });

  it('writes a CycloneDX SBOM of the shipped sample to stdout and exits 0', async () => {
    const run = await portcullisBinary(['sbom', join(ROOT, 'examples', 'alpine-311.tar.gz')]);
    expect(run.code).toBe(0);
    const bom = JSON.parse(run.stdout) as { bomFormat: string; components: unknown[] };
    expect(bom.bomFormat).toBe('CycloneDX');
    expect(bom.components.length).toBeGreaterThanOrEqual(14);
  });

  it.skipIf(!haveTestImages && skipReason(NO_IMAGES_REASON))(
    'exits 1 on the multi image and the whole report reaches the pipe',
    async () => {
      const run = await portcullisBinary([
        'scan',
        `oci:${join(TEST_IMAGES, 'oci')}:multi`,
        '--format',
        'cyclonedx',
      ]);
      expect(run.code).toBe(1);
      expect(run.stdout.length).toBeGreaterThan(65_536); // more than one pipe buffer
      const bom = JSON.parse(run.stdout) as { components: { type: string }[] };
      expect(bom.components.filter((c) => c.type === 'library')).toHaveLength(94);
    },
  );
});
