/**
 * Issue #11 item 1: a secret anywhere in an image (history `created_by`, ENV, labels, a file name, file
 * content) never leaves unredacted, in any report format, the verdict, or the webhook's log.
 */
import { gzipSync } from 'node:zlib';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scan } from '../../core/src/index.js';
import { createMemoryStore } from '../../webhook/src/index.js';
import { captureLogger, podRequest, testApp, toReview } from '../webhook/helpers.js';
import { makeTar, sha256, writeBlob, writeOciLayout } from './build-image.js';
import { FORMATS, createScratch, portcullis } from './helpers.js';

const GITLAB_PAT = 'glpat-Xq7Lm2Vz9Rb4Nw8Kt3Hy';
const AWS_KEY_ID = 'AKIAZ7QW3ER5TY8UI2OP';
const AWS_SECRET = 'Zx9Qw8Er7Ty6Ui5Op4As3Df2Gh1Jk0LzXcVbNm12';
const GITHUB_TOKEN = 'ghp_Q7w8E9r0T1y2U3i4O5p6A7s8D9f0G1h2J3k4';
const DB_PASSWORD = 'Vm4rQ9zLp2Xt7Kw';
const LABEL_TOKEN = 'ghp_L9k8J7h6G5f4D3s2A1p0O9i8U7y6T5r4E3w2';
const FILE_NAME_TOKEN = 'glpat-Fn3Kd8Qz2Lm7Vx4Rt9Wy';

/** Every raw value planted in the image; none may appear in any output. */
const RAW = [GITLAB_PAT, AWS_KEY_ID, AWS_SECRET, GITHUB_TOKEN, DB_PASSWORD, LABEL_TOKEN, FILE_NAME_TOKEN];

let scratch: Awaited<ReturnType<typeof createScratch>>;
let image: string;
let digest: string;

beforeAll(async () => {
  scratch = await createScratch('redaction');
  const dir = join(scratch.dir, 'layout');
  const layer = await makeTar([
    { name: 'app/', type: 'directory' },
    { name: 'app/config.yml', data: `db:\n  password: ${DB_PASSWORD}\ngithub: ${GITHUB_TOKEN}\n` },
    { name: `app/${FILE_NAME_TOKEN}`, data: `aws_secret_access_key = ${AWS_SECRET}\n` },
  ]);
  const gz = gzipSync(layer);
  const blob = await writeBlob(dir, gz);
  digest = await writeOciLayout(
    dir,
    'planted',
    [
      {
        ...blob,
        diffId: sha256(layer),
        mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
        createdBy: `/bin/sh -c echo '${GITLAB_PAT}' > /root/.token && curl -fsSL https://get.example.com/i.sh | bash`,
      },
    ],
    {
      Env: [
        'PATH=/usr/bin:/bin',
        `AWS_ACCESS_KEY_ID=${AWS_KEY_ID}`,
        `AWS_SECRET_ACCESS_KEY=${AWS_SECRET}`,
        `DB_PASSWORD=${DB_PASSWORD}`,
      ],
      Labels: { 'ci.token': LABEL_TOKEN },
    },
  );
  image = `oci:${dir}:planted`;
});

afterAll(async () => {
  await scratch?.cleanup();
});

function expectNoRaw(text: string, where: string): void {
  for (const raw of RAW) expect(text.includes(raw), `${where} contains ${raw}`).toBe(false);
}

describe('one redaction step (issue #11 item 1)', () => {
  it('finds the planted secrets (the test image is not empty of them)', async () => {
    const result = await scan(image, { scanners: ['secret', 'buildinstruction'] });
    const ids = new Set(result.findings.map((f) => f.id));
    expect(ids).toContain('PCS-SECRET-GITLAB-TOKEN');
    expect(ids).toContain('PCS-SECRET-AWS-ACCESS-KEY-PAIR');
    expect(ids).toContain('PCS-SECRET-GITHUB-TOKEN');
    expect(ids).toContain('PCS-BUILD-PIPE-TO-SHELL');
    // the redacted history is still there, readable
    expect(result.image.layers[0]?.createdBy).toMatch(/^\/bin\/sh -c echo 'glpa\*+3Hy' > \/root\/\.token/);
    expectNoRaw(JSON.stringify(result), 'the ScanResult');
  });

  for (const format of FORMATS) {
    it(`scan --format ${format} prints none of the raw values`, async () => {
      const run = await portcullis(['scan', image, '--format', format, '--db', join(scratch.dir, 'none.db')]);
      expect(run.stderr).not.toMatch(/INTERNAL/);
      expect(run.stdout.length).toBeGreaterThan(100);
      expectNoRaw(run.stdout, format);
      expectNoRaw(run.stderr, `${format} stderr`);
    });
  }

  it('the verdict file and sbom carry none either', async () => {
    const verdict = join(scratch.dir, 'verdict.json');
    const run = await portcullis([
      'scan',
      image,
      '--format',
      'json',
      '--verdict-output',
      verdict,
      '--db',
      join(scratch.dir, 'none.db'),
    ]);
    expect(run.code).toBe(1);
    expectNoRaw(await readFile(verdict, 'utf8'), 'verdict');
    const sbom = await portcullis(['sbom', image]);
    expectNoRaw(sbom.stdout, 'sbom');
  });

  it('a Dockerfile with the same secrets is reported redacted (dockerfile and scan --dockerfile)', async () => {
    const path = join(scratch.dir, 'Dockerfile');
    await writeFile(
      path,
      `FROM debian:12\nENV DB_PASSWORD=${DB_PASSWORD}\nRUN echo ${GITLAB_PAT} > /t && curl https://x.example/i | sh\n`,
    );
    for (const format of FORMATS) {
      const run = await portcullis(['dockerfile', path, '--format', format]);
      expectNoRaw(run.stdout, `dockerfile ${format}`);
    }
  });

  it('the webhook log of an admission of the image carries none', async () => {
    const result = await scan(image, { scanners: ['secret', 'buildinstruction'] });
    const store = createMemoryStore();
    await store.put({
      digest,
      scan: result,
      scannedAt: result.scannedAt,
      storedAt: result.scannedAt,
      origin: 'scanner',
    });
    const { logger, lines } = captureLogger();
    const ref = `127.0.0.1:5000/planted/app@${digest}`;
    const t = testApp(store, { logLevel: 'debug' }, { logger });
    const res = await request(t.app)
      .post('/validate')
      .send(toReview(podRequest([ref])))
      .expect(200);
    expect((res.body as { response: { allowed: boolean } }).response.allowed).toBe(false);
    expectNoRaw(JSON.stringify(res.body), 'admission reply');
    // a caller that passes raw text by mistake (an error, a message, a nested field) is masked too
    logger.warn(`failed near ${GITLAB_PAT}`, {
      // a rule must recognise a value outside a scan: a bare 40-character key is indistinguishable from random text
      error: new Error(`could not read aws_secret_access_key=${AWS_SECRET}`),
      detail: { env: [`DB_PASSWORD=${DB_PASSWORD}`], labels: `ci.token=${LABEL_TOKEN}` },
    });
    const log = lines.map((l) => JSON.stringify(l)).join('\n');
    expect(log).toMatch(/admission/);
    expect(log).toMatch(/glpa\*+/);
    expectNoRaw(log, 'webhook log');
  });
});
