// Issue 4 through the public CLI: every planted risk of the multi image is reported, no output format (nor
// the SBOM) contains a planted secret value, and a key deleted by a later layer is still reported with the
// layer it lived in.
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haveTestImages, NO_IMAGES_REASON, skipReason, TEST_IMAGES } from '../helpers/env.js';
import { hashFile, makeTar, sha256, writeBlob, writeOciLayout } from './build-image.js';
import {
  createScratch,
  FORMATS,
  PLANTED_SECRETS,
  portcullis,
  type Format,
  type JsonReport,
} from './helpers.js';

const MULTI = `oci:${join(TEST_IMAGES, 'oci')}:multi`;

/** What the issue says the multi image yields: type, where, and a pattern for the rule id or title. */
const EXPECTED: { what: string; type: string; path?: string; rule: RegExp; evidence?: RegExp }[] = [
  { what: 'the private key', type: 'sensitive-file', path: '/root/.ssh/id_rsa', rule: /private.?key/i },
  {
    what: 'the Alibaba AccessKey pair',
    type: 'sensitive-file',
    path: '/app/config/oss.yaml',
    rule: /alibaba/i,
  },
  // its AWS key is the documentation example (no finding since issue 16): the .env file itself is reported
  { what: 'the .env file', type: 'sensitive-file', path: '/app/.env', rule: /dotenv/i },
  { what: 'the EICAR file', type: 'malicious-sample', path: '/opt/miner/eicar.com', rule: /eicar/i },
  {
    what: 'the miner config',
    type: 'malicious-sample',
    path: '/opt/miner/config.json',
    rule: /xmrig|miner/i,
  },
  { what: 'the setuid suidbash', type: 'baseline', path: '/usr/local/bin/suidbash', rule: /setuid|suid/i },
  {
    what: 'the empty-password games account',
    type: 'baseline',
    path: '/etc/shadow',
    rule: /empty.?password/i,
    evidence: /games/,
  },
  { what: 'PermitRootLogin yes', type: 'baseline', path: '/etc/ssh/sshd_config', rule: /root.?login/i },
  { what: 'the root user', type: 'baseline', rule: /root.?user/i },
  { what: 'no HEALTHCHECK', type: 'baseline', rule: /healthcheck/i },
  {
    what: 'the curl | sh history entry',
    type: 'build-instruction',
    rule: /pipe|curl/i,
    evidence: /curl -fsSL http:\/\/get\.example\.com\/install\.sh \| sh/,
  },
];

describe.skipIf(!haveTestImages && skipReason(NO_IMAGES_REASON))('risks on the real multi test image', () => {
  let dir: string;
  let cleanup: () => Promise<void> = async () => undefined;
  /** Every output of one scan (all report formats) plus both SBOM formats, as text. */
  const outputs = new Map<string, string>();
  let report: JsonReport;
  let scanCode: number;

  beforeAll(async () => {
    ({ dir, cleanup } = await createScratch('risks'));
    const others = FORMATS.filter((f) => f !== 'json');
    const run = await portcullis([
      'scan',
      MULTI,
      '--format',
      'json',
      ...others.flatMap((f) => ['--report', `${f}=${join(dir, `report.${f}`)}`]),
    ]);
    scanCode = run.code;
    outputs.set('json', run.stdout);
    outputs.set('stderr of scan', run.stderr);
    for (const f of others) outputs.set(f, await readFile(join(dir, `report.${f}`), 'utf8'));
    for (const f of ['cyclonedx', 'json']) {
      const sbom = await portcullis(['sbom', MULTI, '--format', f]);
      expect(sbom.code).toBe(0);
      outputs.set(`sbom ${f}`, sbom.stdout);
    }
    report = JSON.parse(run.stdout) as JsonReport;
  });
  afterAll(async () => {
    await cleanup();
  });

  it('denies (exit 1) under the default policy', () => {
    expect(scanCode).toBe(1);
    expect(report.verdict.decision).toBe('deny');
  });

  it.each(EXPECTED)('reports $what', ({ type, path, rule, evidence }) => {
    const hits = report.findings.filter(
      (f) =>
        f.type === type &&
        (path === undefined || f.location.path === path) &&
        (rule.test(f.id) || rule.test(f.title)),
    );
    expect(
      hits,
      JSON.stringify(report.findings.filter((f) => f.type === type).map((f) => [f.id, f.location])),
    ).not.toHaveLength(0);
    if (evidence) expect(hits.some((f) => evidence.test(`${f.evidence ?? ''} ${f.title}`))).toBe(true);
    // files come from layer 2, where scripts/test-images.sh planted them
    if (path) for (const f of hits) expect(f.location.layerDigest).toBe(report.image.layers[1]?.digest);
  });

  it('redacts the evidence of every secret finding', () => {
    const secrets = report.findings.filter((f) => f.type === 'sensitive-file' && f.evidence !== undefined);
    // the private key and the Alibaba pair (path-only findings such as .env carry no evidence)
    expect(secrets.length).toBeGreaterThanOrEqual(2);
    for (const f of secrets) expect(f.evidence).toMatch(/\*{3,}/);
  });

  it('writes every report format and both SBOM formats without any planted secret value', () => {
    const names = [...outputs.keys()];
    for (const f of FORMATS) expect(names).toContain(f satisfies Format);
    for (const [name, text] of outputs) {
      if (name !== 'stderr of scan') expect(text.length, name).toBeGreaterThan(200);
      for (const secret of PLANTED_SECRETS) {
        expect(text.includes(secret), `${name} contains ${secret.slice(0, 4)}…`).toBe(false);
        // nor JSON-escaped (the AWS secret has a slash)
        expect(text.includes(secret.replace(/\//g, '\\/')), `${name} contains an escaped value`).toBe(false);
      }
    }
  });
});

describe.skipIf(!haveTestImages && skipReason(NO_IMAGES_REASON))(
  'a key added by one layer and deleted by the next',
  () => {
    const DELETED_KEY_BODY = 'MIIEowIBAAKCAQEAdeletedInLayerThreeButStillInTheImage';
    let dir: string;
    let cleanup: () => Promise<void> = async () => undefined;
    let keyLayerDigest: string;
    let report: JsonReport;
    let sbom: JsonReport;

    beforeAll(async () => {
      ({ dir, cleanup } = await createScratch('deleted-key'));
      const layout = join(dir, 'layout');
      // layer 1: the min image's Debian base layer, copied blob for blob
      const src = join(TEST_IMAGES, 'oci');
      const index = JSON.parse(await readFile(join(src, 'index.json'), 'utf8')) as {
        manifests: { digest: string; annotations?: Record<string, string> }[];
      };
      const blob = (d: string): string => join(src, 'blobs', 'sha256', d.slice('sha256:'.length));
      const minDigest = index.manifests.find(
        (m) => m.annotations?.['org.opencontainers.image.ref.name'] === 'min',
      )?.digest as string;
      const min = JSON.parse(await readFile(blob(minDigest), 'utf8')) as {
        config: { digest: string };
        layers: { digest: string; size: number; mediaType: string }[];
      };
      const minConfig = JSON.parse(await readFile(blob(min.config.digest), 'utf8')) as {
        rootfs: { diff_ids: string[] };
      };
      const base = min.layers[0] as { digest: string; size: number; mediaType: string };
      await mkdir(join(layout, 'blobs', 'sha256'), { recursive: true });
      await copyFile(blob(base.digest), join(layout, 'blobs', 'sha256', base.digest.slice('sha256:'.length)));
      expect(await hashFile(join(layout, 'blobs', 'sha256', base.digest.slice('sha256:'.length)))).toBe(
        base.digest,
      );
      // layer 2 adds a private key, layer 3 whites it out
      const keyLayer = await makeTar([
        { name: 'root/', type: 'directory', mode: 0o700 },
        { name: 'root/.ssh/', type: 'directory', mode: 0o700 },
        {
          name: 'root/.ssh/id_rsa',
          mode: 0o600,
          data: `-----BEGIN RSA PRIVATE KEY-----\n${DELETED_KEY_BODY}\n-----END RSA PRIVATE KEY-----\n`,
        },
      ]);
      const deleteLayer = await makeTar([
        { name: 'root/', type: 'directory', mode: 0o700 },
        { name: 'root/.ssh/', type: 'directory', mode: 0o700 },
        { name: 'root/.ssh/.wh.id_rsa', data: '' },
      ]);
      const l2 = await writeBlob(layout, keyLayer);
      const l3 = await writeBlob(layout, deleteLayer);
      keyLayerDigest = l2.digest;
      const tarType = 'application/vnd.oci.image.layer.v1.tar';
      await writeOciLayout(
        layout,
        'deleted',
        [
          { ...base, diffId: minConfig.rootfs.diff_ids[0] as string, createdBy: 'debootstrap bookworm' },
          { ...l2, diffId: sha256(keyLayer), mediaType: tarType, createdBy: 'COPY id_rsa /root/.ssh/id_rsa' },
          { ...l3, diffId: sha256(deleteLayer), mediaType: tarType, createdBy: 'RUN rm /root/.ssh/id_rsa' },
        ],
        { User: 'app', Healthcheck: { Test: ['CMD', 'true'] } },
      );
      const run = await portcullis(['scan', `oci:${layout}:deleted`, '--format', 'json']);
      expect(run.stderr).toBe('');
      report = JSON.parse(run.stdout) as JsonReport;
      const s = await portcullis(['sbom', `oci:${layout}:deleted`, '--format', 'json']);
      sbom = JSON.parse(s.stdout) as JsonReport;
    });
    afterAll(async () => {
      await cleanup();
    });

    it('reads the three layers', () => {
      expect(report.image.layers).toHaveLength(3);
      expect(report.image.layers[1]?.digest).toBe(keyLayerDigest);
      expect(sbom.packages.filter((p) => p.ecosystem === 'Debian')).toHaveLength(88);
    });

    it('still reports the private key, located in the layer where it lived', () => {
      const keys = report.findings.filter(
        (f) => f.type === 'sensitive-file' && f.location.path === '/root/.ssh/id_rsa',
      );
      expect(keys).not.toHaveLength(0);
      for (const f of keys) expect(f.location.layerDigest).toBe(keyLayerDigest);
      expect(JSON.stringify(report)).not.toContain(DELETED_KEY_BODY);
    });
  },
);
