/**
 * Issue #11 item 12 (the report and Dockerfile parts): ENV secret findings say where they are; `dockerfile`
 * reports one ENV secret once and does not describe a Dockerfile as an image with an unknown OS.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTar, sha256, writeBlob, writeOciLayout } from './build-image.js';
import { createScratch, portcullis, type JsonReport } from './helpers.js';

let scratch: Awaited<ReturnType<typeof createScratch>>;
let image: string;

beforeAll(async () => {
  scratch = await createScratch('small-fixes');
  const dir = join(scratch.dir, 'layout');
  const layer = await makeTar([
    { name: 'etc/', type: 'directory' },
    { name: 'etc/motd', data: 'hello\n' },
  ]);
  const blob = await writeBlob(dir, gzipSync(layer));
  await writeOciLayout(
    dir,
    'env',
    [
      {
        ...blob,
        diffId: sha256(layer),
        mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
        createdBy: 'ADD motd /etc/',
      },
    ],
    {
      Env: ['PATH=/usr/bin:/bin', 'LANG=C.UTF-8', 'GITHUB_TOKEN=ghp_Q7w8E9r0T1y2U3i4O5p6A7s8D9f0G1h2J3k4'],
    },
  );
  image = `oci:${dir}:env`;
});

afterAll(async () => {
  await scratch?.cleanup();
});

describe('ENV secret findings have a location', () => {
  it('the JSON report says config.Env[2], and the table shows it', async () => {
    const run = await portcullis(['scan', image, '--scanners', 'secret', '--format', 'json']);
    const report = JSON.parse(run.stdout) as JsonReport & {
      findings: { id: string; location: { source?: string } }[];
    };
    const token = report.findings.find((f) => f.id === 'PCS-SECRET-GITHUB-TOKEN');
    expect(token?.location).toEqual({ source: 'config.Env[2]' });
    const table = await portcullis(['scan', image, '--scanners', 'secret']);
    expect(table.stdout).toContain('config.Env[2]');
  });
});

describe('portcullis dockerfile', () => {
  const text =
    'FROM debian:12\nUSER app\nHEALTHCHECK CMD true\nENV AWS_SECRET_ACCESS_KEY=Zx9Qw8Er7Ty6Ui5Op4As3Df2Gh1Jk0LzXcVbNm12\n';

  it('reports one ENV secret once, with DS031 as an alias an exception can still name', async () => {
    const file = join(scratch.dir, 'Dockerfile');
    await writeFile(file, text);
    const run = await portcullis(['dockerfile', file, '--format', 'json']);
    const report = JSON.parse(run.stdout) as { findings: { id: string; location: { line?: number } }[] };
    const onEnv = report.findings.filter((f) => f.location.line === 4);
    expect(onEnv.map((f) => f.id)).toEqual(['PCS-BUILD-SECRET-ENV']);
    const policy = join(scratch.dir, 'ds031.yaml');
    await writeFile(policy, 'apiVersion: portcullis/v1\nexceptions:\n  - { id: DS031, reason: rotated }\n');
    const waived = await portcullis(['dockerfile', file, '--format', 'json', '--policy', policy]);
    const suppressed = (
      JSON.parse(waived.stdout) as { findings: { id: string; suppressedBy?: { reason: string } }[] }
    ).findings.filter((f) => f.suppressedBy !== undefined);
    expect(suppressed.map((f) => f.id)).toEqual(['PCS-BUILD-SECRET-ENV']);
  });

  it('does not print "OS unknown · 0 packages" for a Dockerfile', async () => {
    const file = join(scratch.dir, 'Dockerfile.table');
    await writeFile(file, text);
    for (const format of ['table', 'markdown']) {
      const run = await portcullis(['dockerfile', file, '--format', format]);
      expect(run.stdout).not.toMatch(/OS unknown|0 packages/);
      expect(run.stdout).toMatch(/Dockerfile .*Dockerfile\.table/);
    }
  });
});
