import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AnalyzerOptions, ImageContext } from '../../../core/src/analyzers/analyzer.js';
import {
  checkPatternSafety,
  isSecretCandidate,
  parseSecretRules,
  readSecretRules,
  secretAnalyzer,
} from '../../../core/src/analyzers/secret/index.js';
import type { ImageFile } from '../../../core/src/types/file.js';
import type { Finding } from '../../../core/src/types/finding.js';
import { FIXTURES } from '../../helpers/env.js';
import { feedReused } from '../../helpers/reused-chunks.js';

const L2 = join(FIXTURES, 'secrets', 'multi-l2');
const LAYER = 'sha256:2222222222222222222222222222222222222222222222222222222222222222';

/** The values planted by scripts/test-images.sh; none may ever reach a finding. */
const PLANTED = [
  'LTAI5tQz8vRmXw3YbNc7KpLd',
  'Hn4Ks9TqWv2XyZ7bRm3PcLd8FgJ6Et',
  'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  'MIIEpAIBAAKCAQEAfakefake',
];

function fileOf(path: string, content: Buffer | string, extra: Partial<ImageFile> = {}): ImageFile {
  const buf = typeof content === 'string' ? Buffer.from(content) : content;
  return {
    path,
    kind: 'file',
    mode: 0o644,
    size: buf.length,
    uid: 0,
    gid: 0,
    layerDigest: LAYER,
    layerIndex: 1,
    content: buf,
    ...extra,
  };
}

async function analyze(file: ImageFile, options: AnalyzerOptions = {}): Promise<Finding[]> {
  expect(secretAnalyzer.required(file.path, file)).toBe(true);
  return (await secretAnalyzer.analyze?.(file, options))?.findings ?? [];
}

function readL2(path: string): ImageFile {
  return fileOf(path, readFileSync(join(L2, path)));
}

function assertNoPlantedValue(findings: Finding[]): void {
  const json = JSON.stringify(findings);
  for (const value of PLANTED) {
    expect(json).not.toContain(value);
    // not even an 8-character piece of it
    for (let i = 0; i + 8 <= value.length; i++) expect(json).not.toContain(value.slice(i, i + 8));
  }
}

describe('secretAnalyzer', () => {
  describe('on the multi image layer 2 files', () => {
    it('reports the RSA private key with its line range', async () => {
      const findings = await analyze(readL2('/root/.ssh/id_rsa'));
      const key = findings.find((f) => f.id === 'PCS-SECRET-PRIVATE-KEY');
      expect(key).toMatchObject({
        type: 'sensitive-file',
        ruleId: 'PCS-SECRET-PRIVATE-KEY',
        severity: 'high',
        location: { layerDigest: LAYER, path: '/root/.ssh/id_rsa', line: 1, endLine: 3 },
        evidence: 'MIIE*****************ake',
      });
      expect(key?.remediation).toMatch(/rotate/i);
      assertNoPlantedValue(findings);
    });

    it('reports the Alibaba AccessKey ID and secret as one critical pair', async () => {
      const findings = await analyze(readL2('/app/config/oss.yaml'));
      expect(findings.map((f) => f.id)).toEqual(['PCS-SECRET-ALIBABA-ACCESS-KEY-PAIR']);
      expect(findings[0]).toMatchObject({
        severity: 'critical',
        location: { path: '/app/config/oss.yaml', line: 2, endLine: 3 },
        evidence: 'LTAI*****************pLd / Hn4K***********************6Et',
      });
      assertNoPlantedValue(findings);
    });

    it('does not report the AWS documentation example key (only the .env file)', async () => {
      const findings = await analyze(readL2('/app/.env'));
      expect(findings.map((f) => f.id)).toEqual(['PCS-SECRET-DOTENV-FILE']);
      assertNoPlantedValue(findings);
      // the same line with a key that is not AWS's example is reported
      const real = await analyze(
        fileOf('/app/.env', 'AWS_SECRET_ACCESS_KEY=9dRt5Qk2Lm8Vw3Xy7Zp1Ab4Cd6Ef8Gh0Ij2Kl4Mn\n'),
      );
      expect(real.map((f) => f.id)).toContain('PCS-SECRET-AWS-SECRET-ACCESS-KEY');
    });

    it('reports an ID alone at medium severity', async () => {
      const findings = await analyze(fileOf('/app/a.yaml', 'key: LTAI5tQz8vRmXw3YbNc7KpLd\n'));
      expect(findings.map((f) => [f.id, f.severity])).toEqual([
        ['PCS-SECRET-ALIBABA-ACCESS-KEY-ID', 'medium'],
      ]);
    });

    it('reports a non-example AWS key pair as critical', async () => {
      const text =
        'aws_access_key_id = AKIA2OGYBAH6QWERTY12\naws_secret_access_key = 9dRt5Qk2Lm8Vw3Xy7Zp1Ab4Cd6Ef8Gh0Ij2Kl4Mn\n';
      const findings = await analyze(fileOf('/root/.aws/credentials', text));
      expect(findings.map((f) => [f.id, f.severity])).toEqual([
        ['PCS-SECRET-AWS-ACCESS-KEY-PAIR', 'critical'],
      ]);
    });
  });

  describe('streaming (secretAnalyzer.stream), as the walker feeds it', () => {
    /** The sink's result for `file` fed in one write (a view of the chunk) or in reused chunks of `size`. */
    function streamed(file: ImageFile, size?: number): Finding[] {
      const content = file.content as Buffer;
      const sink = secretAnalyzer.stream!({ ...file, content: undefined }, {});
      if (!sink) return [];
      if (size === undefined) sink.write(content);
      else feedReused(sink, content, size);
      const result = sink.end() as { findings?: Finding[] } | undefined;
      return result?.findings ?? [];
    }

    it('finds what the buffered analysis finds, from one chunk or from reused ones', async () => {
      for (const path of ['/root/.ssh/id_rsa', '/app/config/oss.yaml']) {
        const file = readL2(path);
        const expected = await analyze(file);
        expect(expected.length).toBeGreaterThan(0);
        // one chunk holding the whole file: the sink reads it in place, before the chunk is reused
        expect(streamed(file)).toEqual(expected);
        for (const size of [1, 7, 100]) expect(streamed(file, size), `chunks of ${size}`).toEqual(expected);
      }
    });

    it('treats an empty file as an empty text', async () => {
      const file = fileOf('/app/.env', '');
      expect(streamed(file)).toEqual(await analyze(file));
    });
  });

  describe('when a later layer deleted the file', () => {
    it('still reports it, marked hidden, with the layer it lives in', async () => {
      const file = { ...readL2('/root/.ssh/id_rsa'), hidden: 'deleted' as const };
      const findings = await analyze(file);
      expect(findings.length).toBeGreaterThan(0);
      for (const f of findings) {
        expect(f.hidden).toBe(true);
        expect(f.location.layerDigest).toBe(LAYER);
        expect(f.description).toMatch(/deleted by a later layer/);
      }
      expect(secretAnalyzer.history).toBe(true);
    });
  });

  describe('options', () => {
    const oss = (): ImageFile => readL2('/app/config/oss.yaml');
    const conf = (): ImageFile => fileOf('/etc/app/app.properties', 'db.password=Tr0ub4dor&3x\n');

    it('accessKeyLeak: false turns cloud access keys off', async () => {
      expect(await analyze(oss(), { secret: { accessKeyLeak: false } })).toEqual([]);
      expect(await analyze(conf(), { secret: { accessKeyLeak: false } })).toHaveLength(1);
    });

    it('passwordLeak: false turns passwords off', async () => {
      expect((await analyze(conf())).map((f) => f.id)).toEqual(['PCS-SECRET-PASSWORD-IN-CONFIG']);
      expect(await analyze(conf(), { secret: { passwordLeak: false } })).toEqual([]);
      expect(await analyze(oss(), { secret: { passwordLeak: false } })).toHaveLength(1);
    });

    it('items selects categories or rule ids', async () => {
      expect(await analyze(oss(), { secret: { items: ['private-key'] } })).toEqual([]);
      expect(await analyze(oss(), { secret: { items: ['access-key'] } })).toHaveLength(1);
      expect(await analyze(conf(), { secret: { items: ['PCS-SECRET-PASSWORD-IN-CONFIG'] } })).toHaveLength(1);
    });
  });

  describe('placeholders and documentation values', () => {
    it('skips template passwords', async () => {
      const text = 'a.password=${DB_PASSWORD}\nb.password=changeme\nc.password=<password>\nd.password=\n';
      expect(await analyze(fileOf('/app/application.properties', text))).toEqual([]);
    });
  });

  describe('#analyzeImage', () => {
    it('scans Env, Labels and history created_by with their source', async () => {
      const ctx: ImageContext = {
        image: {
          ref: 'test',
          configDigest: 'sha256:c',
          layers: [{ digest: 'sha256:l0' }, { digest: 'sha256:l1' }],
          config: {
            config: {
              Env: [
                'PATH=/usr/bin',
                'LANG=C',
                'HOME=/root',
                'GITHUB_TOKEN=ghp_R8x2Lq9Vw4Zk7Pm3Nc6Bt1Yh5Jd0Fs8Ga2Qe',
                'AWS_ACCESS_KEY_ID=AKIA2OGYBAH6QWERTY12',
                'AWS_SECRET_ACCESS_KEY=9dRt5Qk2Lm8Vw3Xy7Zp1Ab4Cd6Ef8Gh0Ij2Kl4Mn',
              ],
              Labels: { maintainer: 'me', 'ci.token': 'glpat-Xk3m9QpL2vR8tY6wZ1nB' },
            },
            history: [
              { created_by: 'ADD file:abc in /' },
              { created_by: 'ENV LANG=C', empty_layer: true },
              {
                created_by:
                  'RUN /bin/sh -c echo "aws_secret_access_key=9dRt5Qk2Lm8Vw3Xy7Zp1Ab4Cd6Ef8Gh0Ij2Kl4Mn" > x',
              },
            ],
          },
        },
        files: new Map(),
        hidden: [],
        options: {},
      };
      const findings = (await secretAnalyzer.analyzeImage?.(ctx))?.findings ?? [];
      expect(findings.map((f) => [f.id, f.location.source, f.severity])).toEqual([
        ['PCS-SECRET-GITHUB-TOKEN', 'config.Env[3]', 'critical'],
        ['PCS-SECRET-AWS-ACCESS-KEY-PAIR', 'config.Env[4]', 'critical'],
        ['PCS-SECRET-GITLAB-TOKEN', 'config.Labels["ci.token"]', 'critical'],
        ['PCS-SECRET-AWS-SECRET-ACCESS-KEY', 'history[2].created_by', 'critical'],
      ]);
      // the RUN entry made the second layer (the ENV entry made none)
      expect(findings[3]?.location.layerDigest).toBe('sha256:l1');
      expect(findings[0]?.location.layerDigest).toBeUndefined();
      const json = JSON.stringify(findings);
      expect(json).not.toContain('R8x2Lq9Vw4Zk7Pm3');
      expect(json).not.toContain('Xk3m9QpL2vR8');
      expect(json).not.toContain('9dRt5Qk2Lm8Vw3Xy7');
    });
  });

  describe('#required', () => {
    const header = (path: string, size: number, kind: ImageFile['kind'] = 'file'): ImageFile =>
      ({ ...fileOf(path, ''), size, kind }) as ImageFile;
    it('takes text-sized files and path-rule hits only', () => {
      const rules = readSecretRules();
      expect(isSecretCandidate('/app/config.yaml', header('/app/config.yaml', 100), rules)).toBe(true);
      expect(isSecretCandidate('/app/big.log', header('/app/big.log', 2 * 1024 * 1024), rules)).toBe(false);
      expect(isSecretCandidate('/app/store.p12', header('/app/store.p12', 5 * 1024 * 1024), rules)).toBe(
        true,
      );
      expect(isSecretCandidate('/proc/1/environ', header('/proc/1/environ', 10), rules)).toBe(false);
      expect(isSecretCandidate('/usr/lib/x86_64-linux-gnu/libc.so.6', header('/x', 1000), rules)).toBe(false);
      expect(isSecretCandidate('/app/logo.png', header('/app/logo.png', 1000), rules)).toBe(false);
      expect(isSecretCandidate('/app/dir', header('/app/dir', 0, 'dir'), rules)).toBe(false);
    });
  });

  describe('on hostile input', () => {
    const MiB = 1024 * 1024;
    it('skips binary files for content rules (NUL in the first 8 KiB)', async () => {
      const key = readFileSync(join(L2, 'root/.ssh/id_rsa'));
      const bin = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 0]), key]);
      expect(await analyze(fileOf('/app/tool', bin))).toEqual([]);
    });

    it('finishes on a 1 MiB single-line file and backtracking-shaped input', async () => {
      const shapes = [
        'a'.repeat(MiB),
        'password=' + 'a'.repeat(MiB - 9),
        'x_password' + '_password'.repeat((MiB - 10) / 9),
        'aws_secret_access_key=' + 'A'.repeat(MiB - 22),
        'https://' + 'a:'.repeat(MiB / 2 - 4),
        'mysql://' + 'u:'.repeat(MiB / 2 - 4),
        'eyJ' + 'eyJhbGciOi.'.repeat(MiB / 11),
        '-----BEGIN RSA PRIVATE KEY-----'.repeat(MiB / 31),
        'LTAI'.repeat(MiB / 4),
        'xoxb-1234567-'.repeat(MiB / 13),
      ];
      for (const text of shapes) {
        const findings = await analyze(fileOf('/app/hostile.env', text.slice(0, MiB)));
        expect(findings.length).toBeLessThanOrEqual(200);
      }
    });
  });

  describe('rule data', () => {
    it('rejects patterns that can backtrack catastrophically', () => {
      expect(checkPatternSafety('(a+)+b')).toMatch(/unbounded/);
      expect(checkPatternSafety('a*')).toMatch(/unbounded/);
      expect(checkPatternSafety('x{2,}')).toMatch(/unbounded/);
      expect(checkPatternSafety('(a{1,3}){2,5}')).toMatch(/repeated group/);
      expect(checkPatternSafety('a{1,99999}')).toMatch(/above/);
      expect(checkPatternSafety('(ab)?c{1,5}[+*]\\+(?:x|y){1,3}')).toBeUndefined();
    });

    it('reports every invalid rule at once', () => {
      const text = [
        'rules:',
        '  - { id: Bad Id, category: nope, severity: high, title: t, remediation: r, keywords: [a], pattern: "a" }',
        '  - { id: PCS-SECRET-OK-ID, category: token, severity: high, title: t, remediation: r, keywords: [a], pattern: "(a+)+" }',
      ].join('\n');
      let err: unknown;
      try {
        parseSecretRules([{ source: 'x.yaml', text }]);
      } catch (e) {
        err = e;
      }
      expect(err).toMatchObject({ code: 'ANALYZER_RULES_INVALID' });
      const problems = (err as { problems: { path: string; message: string }[] }).problems;
      expect(problems.map((p) => p.path)).toEqual(['x.yaml#/rules/0', 'x.yaml#/rules/0', 'x.yaml#/rules/1']);
    });

    it('loads the built-in rules with unique ids', () => {
      const rules = readSecretRules();
      const ids = [...rules.content, ...rules.paths].map((r) => r.id);
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids.length).toBeGreaterThan(30);
    });
  });
});
