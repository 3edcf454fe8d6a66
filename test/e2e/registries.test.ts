// Issue 2 through the public CLI against real `docker-registry` processes: htpasswd auth, token auth and
// TLS with a custom CA give the same inventory as the OCI layout; wrong credentials and an untrusted CA fail
// with one clear line and exit 2.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haveTestImages, NO_IMAGES_REASON, skipReason, TEST_IMAGES } from '../helpers/env.js';
import {
  haveRegistryTools,
  htpasswdAuth,
  makeTlsFiles,
  pushImage,
  startRegistry,
  startTokenServer,
  type RunningRegistry,
  type TokenServer,
} from '../source/registry-harness.js';
import { createScratch, portcullis, toErrorCode, type JsonReport } from './helpers.js';

const USER = 'e2e-user';
const PASSWORD = 'e2e-Pa55-word';
const NO_TOOLS_REASON =
  'docker-registry, skopeo, htpasswd or openssl missing (scripts/test-images.sh installs them)';

function toKeys(report: JsonReport): string[] {
  return report.packages.map((p) => `${p.name}@${p.version}@${p.ecosystem}`).sort();
}

describe.skipIf(
  !(haveTestImages && haveRegistryTools) && skipReason(haveTestImages ? NO_TOOLS_REASON : NO_IMAGES_REASON),
)('portcullis sbom from registries with auth and TLS', () => {
  const stops: (() => Promise<void>)[] = [];
  let cleanup: () => Promise<void> = async () => undefined;
  let basic: RunningRegistry;
  let token: RunningRegistry;
  let tokenServer: TokenServer;
  let tls: RunningRegistry;
  let caFile: string;
  let scratchDir: string;
  const reference: Partial<Record<'min' | 'multi', string[]>> = {};

  beforeAll(async () => {
    const scratch = await createScratch('registries');
    cleanup = scratch.cleanup;
    scratchDir = scratch.dir;
    const sub = async (name: string): Promise<string> => {
      const d = join(scratch.dir, name);
      await mkdir(d, { recursive: true });
      return d;
    };
    const basicDir = await sub('basic');
    basic = await startRegistry(basicDir, { auth: await htpasswdAuth(basicDir, USER, PASSWORD) });
    stops.push(() => basic.stop());
    const tokenDir = await sub('token');
    tokenServer = await startTokenServer(tokenDir, USER, PASSWORD);
    stops.push(() => tokenServer.stop());
    token = await startRegistry(tokenDir, { auth: tokenServer.authYaml });
    stops.push(() => token.stop());
    const tlsDir = await sub('tls');
    const files = await makeTlsFiles(tlsDir);
    caFile = join(tlsDir, 'ca-for-cli.crt');
    await writeFile(caFile, files.caCert);
    tls = await startRegistry(tlsDir, { tls: files.tlsYaml });
    stops.push(() => tls.stop());
    const creds = `${USER}:${PASSWORD}`;
    await Promise.all([
      (async () => {
        await pushImage('multi', `${basic.host}/e2e/debian:multi`, creds);
        await pushImage('min', `${basic.host}/e2e/debian:min`, creds);
      })(),
      (async () => {
        await pushImage('multi', `${token.host}/e2e/debian:multi`, creds);
        await pushImage('min', `${token.host}/e2e/debian:min`, creds);
      })(),
      (async () => {
        await pushImage('multi', `${tls.host}/e2e/debian:multi`);
        await pushImage('min', `${tls.host}/e2e/debian:min`);
      })(),
    ]);
    for (const tag of ['min', 'multi'] as const) {
      const run = await portcullis(['sbom', `oci:${join(TEST_IMAGES, 'oci')}:${tag}`, '--format', 'json']);
      expect(run.code).toBe(0);
      reference[tag] = toKeys(JSON.parse(run.stdout) as JsonReport);
    }
  }, 300_000);

  afterAll(async () => {
    for (const stop of stops.reverse()) await stop();
    await cleanup();
  });

  async function expectSameInventory(
    host: () => string,
    extra: () => string[],
    env?: () => NodeJS.ProcessEnv,
  ): Promise<void> {
    for (const tag of ['min', 'multi'] as const) {
      const run = await portcullis(
        ['sbom', `${host()}/e2e/debian:${tag}`, '--format', 'json', ...extra()],
        env ? { env: env() } : {},
      );
      expect(run.stderr, tag).toBe('');
      expect(run.code, tag).toBe(0);
      const report = JSON.parse(run.stdout) as JsonReport;
      expect(toKeys(report), tag).toEqual(reference[tag]);
      expect(reference[tag]?.filter((k) => k.endsWith('@Debian'))).toHaveLength(88);
    }
  }

  it('htpasswd (basic) auth with --username/--password gives the same inventory', async () => {
    await expectSameInventory(
      () => basic.host,
      () => ['--username', USER, '--password', PASSWORD],
    );
  });

  it('htpasswd auth from ~/.docker/config.json gives the same inventory', async () => {
    const home = join(scratchDir, 'home');
    await mkdir(join(home, '.docker'), { recursive: true });
    const auth = Buffer.from(`${USER}:${PASSWORD}`).toString('base64');
    await writeFile(
      join(home, '.docker', 'config.json'),
      JSON.stringify({ auths: { [basic.host]: { auth } } }),
    );
    await expectSameInventory(
      () => basic.host,
      () => [],
      () => ({ HOME: home }),
    );
  });

  it('htpasswd auth with a wrong password ends in exit 2 and one REGISTRY_UNAUTHORIZED line', async () => {
    const run = await portcullis([
      'sbom',
      `${basic.host}/e2e/debian:min`,
      '--username',
      USER,
      '--password',
      'wrong-password',
    ]);
    expect(run.code).toBe(2);
    expect(toErrorCode(run.stderr), run.stderr).toBe('REGISTRY_UNAUTHORIZED');
    expect(run.stdout).toBe('');
    expect(run.stderr).not.toContain('wrong-password');
  });

  it('token auth with $PORTCULLIS_REGISTRY_AUTH gives the same inventory', async () => {
    const before = tokenServer.requests.length;
    await expectSameInventory(
      () => token.host,
      () => [],
      () => ({ PORTCULLIS_REGISTRY_AUTH: `${USER}:${PASSWORD}` }),
    );
    // the registry really sent the CLI to the token server, with the credentials
    const asked = tokenServer.requests.slice(before);
    expect(asked.some((r) => r.user === USER && r.scopes.includes('repository:e2e/debian:pull'))).toBe(true);
  });

  it('TLS with --ca-cert gives the same inventory', async () => {
    await expectSameInventory(
      () => tls.host,
      () => ['--ca-cert', caFile],
    );
  });

  it('TLS without the CA ends in exit 2 with one error line', async () => {
    const run = await portcullis(['sbom', `${tls.host}/e2e/debian:min`]);
    expect(run.code).toBe(2);
    expect(toErrorCode(run.stderr), run.stderr).toBe('REGISTRY_TLS');
    expect(run.stderr).toMatch(/not trusted/);
  });
});
