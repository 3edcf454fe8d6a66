// The CLI as `npm ci` / `npm run build` ships it: the esbuild bundle (scripts/build-cli.mjs). Built here into a
// folder at dist/cli's depth, so this checks the real build script and the bundle's own module layout: lazy
// chunks load, the rule data in core/rules/ is found, and it answers like the sources do.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { PREBUILT_RULES_FILE } from '../../core/src/analyzers/rule-documents.js';
import { ROOT } from '../helpers/env.js';
import { makeTar, sha256, writeBlob, writeOciLayout } from './build-image.js';
import { createScratch, portcullisBinary, type JsonReport } from './helpers.js';

const run = promisify(execFile);
const OUT = join('.tmp', `bundle-test-${process.pid}`);

async function bundled(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, [join(ROOT, OUT, 'main.js'), ...args], {
      cwd: ROOT,
      maxBuffer: 1 << 26,
      timeout: 120_000,
    });
    return { code: 0, ...r };
  } catch (e) {
    const err = e as { code?: unknown; stdout?: string; stderr?: string };
    if (typeof err.code !== 'number') throw e;
    return { code: err.code, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
  }
}

describe('the CLI bundle (scripts/build-cli.mjs)', () => {
  let layout: string;
  let cleanup: () => Promise<void> = async () => undefined;

  beforeAll(async () => {
    await run(process.execPath, [join(ROOT, 'scripts', 'build-cli.mjs'), '--outdir', OUT], { cwd: ROOT });
    const scratch = await createScratch('bundle');
    cleanup = scratch.cleanup;
    layout = join(scratch.dir, 'layout');
    const layer = await makeTar([
      { name: 'root/', type: 'directory', mode: 0o700 },
      { name: 'root/.ssh/', type: 'directory', mode: 0o700 },
      {
        name: 'root/.ssh/id_rsa',
        mode: 0o600,
        data: '-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAplantedForTheBundleTest\n-----END RSA PRIVATE KEY-----\n',
      },
      { name: 'eicar.com', data: 'X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*' },
    ]);
    const blob = await writeBlob(layout, layer);
    await writeOciLayout(layout, 'planted', [
      {
        ...blob,
        diffId: sha256(layer),
        mediaType: 'application/vnd.oci.image.layer.v1.tar',
        createdBy: 'COPY . /',
      },
    ]);
  }, 120_000);

  afterAll(async () => {
    await rm(join(ROOT, OUT), { recursive: true, force: true });
    await cleanup();
  });

  it('prints the version and the help of a lazily loaded command', async () => {
    const v = await bundled(['--version']);
    expect(v.code).toBe(0);
    expect(v.stdout.trim()).toBe((await import('../../core/src/version.js')).TOOL_VERSION);
    const h = await bundled(['webhook', 'serve', '--help']);
    expect(h.code).toBe(0);
    expect(h.stdout).toContain('--unknown <mode>');
    expect(h.stdout).toContain('deny|allow-and-scan|scan');
  });

  it('carries every built-in rule file pre-parsed, keyed by the hash of its text, equal to the YAML', async () => {
    const prebuilt = JSON.parse(await readFile(join(ROOT, OUT, PREBUILT_RULES_FILE), 'utf8')) as Record<
      string,
      string
    >;
    const rulesDir = join(ROOT, 'core', 'rules');
    const files = readdirSync(rulesDir, { recursive: true }).filter((f) => /\.ya?ml$/.test(String(f)));
    expect(files.length).toBeGreaterThan(3);
    for (const f of files) {
      const text = await readFile(join(rulesDir, String(f)), 'utf8');
      const key = createHash('sha256').update(text).digest('hex');
      expect(JSON.parse(prebuilt[key] ?? 'null'), String(f)).toEqual(parseYaml(text));
    }
    expect(Object.keys(prebuilt)).toHaveLength(files.length);
  });

  it('finds the built-in secret and malware rules and reports exactly what the sources report', async () => {
    const fromBundle = await bundled(['scan', `oci:${layout}:planted`, '--format', 'json']);
    const fromSources = await portcullisBinary(['scan', `oci:${layout}:planted`, '--format', 'json'], {
      PATH: process.env.PATH,
      PORTCULLIS_FROM_SOURCE: '1',
    });
    expect(fromBundle.stderr).toBe('');
    expect(fromBundle.code).toBe(1); // a private key and EICAR: the default policy denies
    const ids = (r: { stdout: string }): string[] =>
      [...new Set((JSON.parse(r.stdout) as JsonReport).findings.map((f) => f.id))].sort();
    expect(ids(fromBundle)).toEqual(
      expect.arrayContaining(['PCS-MALWARE-EICAR-TEST-FILE', 'PCS-SECRET-PRIVATE-KEY']),
    );
    expect(ids(fromBundle)).toEqual(ids(fromSources));
    expect(fromBundle.stdout).not.toContain('plantedForTheBundleTest');
  });
});
