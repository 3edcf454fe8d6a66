// Issue 5 through the public CLI: every `scan --format` output of the multi image validates against its
// schema and exits 1 under the default policy; a policy file with exceptions by id, path glob and image glob
// allows it and lists the suppressed findings with their reasons; an expired entry stops suppressing; one
// expiring in 5 days warns; an invalid policy prints all five problems; `dockerfile` finds the right lines.
import { readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haveTestImages, NO_IMAGES_REASON, SHARED_DATA, skipReason, TEST_IMAGES } from '../helpers/env.js';
import {
  createScratch,
  createValidators,
  daysFrom,
  E2E_FIXTURES,
  FORMATS,
  importSharedOsv,
  PLANTED_SECRETS,
  portcullis,
  toSchemaErrors,
  type CliRun,
  type Format,
  type JsonReport,
  type SchemaFormat,
} from './helpers.js';

const MULTI = `oci:${join(TEST_IMAGES, 'oci')}:multi`;
const validators = createValidators();

function isSchemaFormat(f: Format): f is SchemaFormat {
  return f !== 'table' && f !== 'markdown';
}

/** Runs `scan` with the main output in `main` and every other format as `--report F=FILE`; reads them all. */
async function scanAllFormats(
  dir: string,
  name: string,
  args: string[],
  main: Format,
): Promise<{ run: CliRun; outputs: Record<Format, string> }> {
  const others = FORMATS.filter((f) => f !== main);
  const run = await portcullis([
    'scan',
    MULTI,
    ...args,
    '--format',
    main,
    ...others.flatMap((f) => ['--report', `${f}=${join(dir, `${name}.${f}`)}`]),
  ]);
  const outputs = { [main]: run.stdout } as Record<Format, string>;
  for (const f of others) outputs[f] = await readFile(join(dir, `${name}.${f}`), 'utf8');
  return { run, outputs };
}

function expectValidAndClean(outputs: Record<Format, string>): void {
  for (const f of FORMATS) {
    const text = outputs[f];
    expect(text.length, f).toBeGreaterThan(0);
    if (isSchemaFormat(f)) expect(toSchemaErrors(validators[f], JSON.parse(text)), f).toEqual([]);
    for (const secret of PLANTED_SECRETS)
      expect(text.includes(secret), `${f}: ${secret.slice(0, 4)}…`).toBe(false);
  }
}

describe.skipIf(!haveTestImages && skipReason(NO_IMAGES_REASON))(
  'policy and reports on the multi image',
  () => {
    let dir: string;
    let cleanup: () => Promise<void> = async () => undefined;
    let dbArgs: string[] = [];
    const denied = new Map<Format, CliRun>();
    let findings: JsonReport['findings'];

    beforeAll(async () => {
      ({ dir, cleanup } = await createScratch('policy'));
      if (SHARED_DATA) {
        await importSharedOsv(join(dir, 'db.sqlite'));
        dbArgs = ['--db', join(dir, 'db.sqlite')];
      } else {
        skipReason('no ../shared/data: the policy scans run without a vulnerability DB');
      }
      // each format on its own run, two at a time (layer decompression runs on the libuv pool)
      const queue = [...FORMATS];
      await Promise.all(
        [0, 1].map(async () => {
          for (let f = queue.shift(); f; f = queue.shift()) {
            denied.set(f, await portcullis(['scan', MULTI, ...dbArgs, '--format', f]));
          }
        }),
      );
      findings = (JSON.parse(denied.get('json')?.stdout ?? '{}') as JsonReport).findings;
    }, 300_000);
    afterAll(async () => {
      await cleanup();
    });

    it.each(FORMATS)('--format %s: the default policy denies (exit 1) and the output is valid', (format) => {
      const run = denied.get(format) as CliRun;
      expect(run.stderr).toBe('');
      expect(run.code).toBe(1);
      if (isSchemaFormat(format)) {
        expect(toSchemaErrors(validators[format], JSON.parse(run.stdout))).toEqual([]);
      } else {
        expect(run.stdout).toMatch(/deny/i);
      }
      for (const secret of PLANTED_SECRETS) expect(run.stdout.includes(secret)).toBe(false);
    });

    it('the JSON report has findings of every risk type, vulnerabilities when a DB is there', () => {
      const types = new Set(findings.map((f) => f.type));
      for (const t of ['sensitive-file', 'malicious-sample', 'baseline', 'build-instruction'])
        expect(types).toContain(t);
      if (SHARED_DATA) expect(types).toContain('vulnerability');
      expect(findings.every((f) => f.suppressedBy === undefined)).toBe(true);
    });

    it('--severity critical narrows what is reported, not what fails (exit 1, same verdict; --output writes the file)', async () => {
      const out = join(dir, 'critical.json');
      const run = await portcullis([
        'scan',
        MULTI,
        ...dbArgs,
        '--severity',
        'critical',
        '--format',
        'json',
        '--output',
        out,
        '--report',
        `sarif=${join(dir, 'critical.sarif')}`,
      ]);
      expect(run.code).toBe(1);
      expect(run.stdout).toBe('');
      const narrowed = JSON.parse(await readFile(out, 'utf8')) as JsonReport;
      const full = JSON.parse(denied.get('json')?.stdout ?? '{}') as JsonReport;
      expect(narrowed.findings.map((f) => f.id).sort()).toEqual(
        findings
          .filter((f) => f.severity === 'critical')
          .map((f) => f.id)
          .sort(),
      );
      expect(narrowed.verdict.decision).toBe('deny');
      expect(narrowed.verdict.reasons).toEqual(full.verdict.reasons);
      const sarif = JSON.parse(await readFile(join(dir, 'critical.sarif'), 'utf8')) as {
        runs: { results: unknown[] }[];
      };
      expect(sarif.runs[0]?.results).toHaveLength(narrowed.findings.length);
    });

    /** Paths of the planted file risks, suppressed by path glob. */
    const PATH_GLOBS = [
      '/root/.ssh/*',
      '/opt/miner/*',
      '/app/.env',
      '/app/config/*',
      '/etc/**',
      '/usr/local/bin/suidbash',
    ];
    const BY_PATH = 'planted fixture files';
    const BY_IMAGE = 'the fixture image history is reviewed';
    const BY_ID = 'reviewed by id';

    it('a policy with exceptions by path glob, image glob and id allows it (exit 0) and lists every suppressed finding with its reason', async () => {
      const byPath = (f: JsonReport['findings'][number]): boolean =>
        (f.location.path !== undefined &&
          ['/root/.ssh/', '/opt/miner/', '/app/config/', '/etc/'].some((p) =>
            f.location.path?.startsWith(p),
          )) ||
        f.location.path === '/app/.env' ||
        f.location.path === '/usr/local/bin/suidbash';
      const rest = findings.filter((f) => !byPath(f) && f.type !== 'build-instruction');
      const policy = {
        apiVersion: 'portcullis/v1',
        exceptions: [
          { path: PATH_GLOBS, reason: BY_PATH, owner: 'e2e' },
          {
            id: '*',
            images: [`oci:${TEST_IMAGES}/**`],
            type: 'build-instruction',
            reason: BY_IMAGE,
            ticket: 'E2E-1',
          },
          ...[...new Set(rest.map((f) => f.id))].map((id) => ({ id, reason: `${BY_ID}: ${id}` })),
        ],
      };
      const file = join(dir, 'allow.yaml');
      await writeFile(file, stringify(policy));
      expect((await portcullis(['policy', 'check', file])).code).toBe(0);
      const { run, outputs } = await scanAllFormats(dir, 'allow', [...dbArgs, '--policy', file], 'json');
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expectValidAndClean(outputs);
      const report = JSON.parse(outputs.json) as JsonReport;
      expect(report.verdict.decision).toBe('allow');
      expect(report.findings).toHaveLength(findings.length);
      const byReason = (r: string) => report.findings.filter((f) => f.suppressedBy?.reason === r);
      expect(byReason(BY_PATH).length).toBeGreaterThanOrEqual(8);
      expect(byReason(BY_IMAGE).length).toBeGreaterThanOrEqual(1);
      for (const f of report.findings) {
        const want = byPath(f) ? BY_PATH : f.type === 'build-instruction' ? BY_IMAGE : `${BY_ID}: ${f.id}`;
        expect(f.suppressedBy?.reason, `${f.id} ${f.location.path ?? ''}`).toBe(want);
      }
      // the human formats list them too, with the reason
      expect(outputs.table).toContain(BY_PATH);
      expect(outputs.table).toContain(BY_IMAGE);
      expect(outputs.table).toContain(`${BY_ID}: ${rest[0]?.id}`);
      // markdown keeps PR comments short: a capped table of suppressed findings, each with its reason
      expect(outputs.markdown).toMatch(/\| reason \|/);
      expect(outputs.markdown).toContain(`${BY_ID}: `);
      const sarif = JSON.parse(outputs.sarif) as {
        runs: { results: { suppressions?: { justification?: string }[] }[] }[];
      };
      const results = sarif.runs[0]?.results ?? [];
      expect(results.length).toBe(findings.length);
      expect(results.every((r) => (r.suppressions ?? []).length > 0)).toBe(true);
    });

    /** One entry scoped to the image by glob, suppressing everything, with an expiry. */
    async function writeExpiringPolicy(name: string, expires: string): Promise<string> {
      const file = join(dir, `${name}.yaml`);
      await writeFile(
        file,
        stringify({
          apiVersion: 'portcullis/v1',
          exceptions: [{ id: '*', images: [`oci:${TEST_IMAGES}/**`], reason: 'temporary waiver', expires }],
        }),
      );
      return file;
    }

    it('an expired entry no longer suppresses: deny, exit 1, nothing suppressed', async () => {
      const yesterday = daysFrom(new Date(), -1);
      const file = await writeExpiringPolicy('expired', yesterday);
      const run = await portcullis(['scan', MULTI, ...dbArgs, '--policy', file, '--format', 'json']);
      expect(run.code).toBe(1);
      const report = JSON.parse(run.stdout) as JsonReport;
      expect(report.verdict.decision).toBe('deny');
      expect(report.findings.filter((f) => f.suppressedBy !== undefined)).toEqual([]);
      expect((report.verdict.warnings ?? []).join('\n')).toContain(yesterday);
    });

    it('an entry expiring in 5 days suppresses but warns (exit 0) in the JSON verdict, the table, markdown and GitLab report', async () => {
      const soon = daysFrom(new Date(), 5);
      const file = await writeExpiringPolicy('expiring', soon);
      const check = await portcullis(['policy', 'check', file]);
      expect(check.code).toBe(0);
      expect(check.stdout).toMatch(new RegExp(`expiring: .*${soon}`));
      const { run, outputs } = await scanAllFormats(dir, 'expiring', [...dbArgs, '--policy', file], 'table');
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expectValidAndClean(outputs);
      const report = JSON.parse(outputs.json) as JsonReport;
      expect(report.verdict.decision).toBe('warn');
      expect(report.findings.every((f) => f.suppressedBy?.expires === soon)).toBe(true);
      const warning = (report.verdict.warnings ?? []).find((w) => w.includes(soon));
      expect(warning).toMatch(/expires/);
      expect(outputs.table).toMatch(/warn/i);
      expect(outputs.table).toContain(warning);
      expect(outputs.markdown).toContain(soon);
      const gitlab = JSON.parse(outputs.gitlab) as {
        scan: { messages?: { level: string; value: string }[] };
      };
      expect(gitlab.scan.messages?.some((m) => m.value.includes(soon))).toBe(true);
    });
  },
);

describe('invalid policies', () => {
  const bad = join(E2E_FIXTURES, 'invalid-policy.yaml');

  it('`policy check` prints all five problems with their paths and exits 2', async () => {
    const run = await portcullis(['policy', 'check', bad]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    const lines = run.stderr.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^portcullis: POLICY_INVALID: .*5 problems/);
    const paths = lines.slice(1).map((l) => /^ {2}(\/\S*): /.exec(l)?.[1]);
    expect(paths).toEqual([
      '/apiVersion',
      '/scanners/malware',
      '/gates/deny/severity',
      '/gates/maxDbAge',
      '/exceptions/0/reason',
    ]);
    // each problem also names its line in the file
    const source = readFileSync(bad, 'utf8').split('\n');
    for (const [i, l] of lines.slice(1).entries()) {
      const line = Number(/\(line (\d+)\)$/.exec(l)?.[1]);
      expect(source[line - 1], l).toMatch(i === 4 ? /- id:/ : /mistake/);
    }
  });

  it('`scan --policy` with it exits 2 before scanning', async () => {
    const run = await portcullis([
      'scan',
      'oci:/nonexistent-e2e-layout:x',
      '--policy',
      bad,
      '--format',
      'json',
    ]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^portcullis: POLICY_INVALID: /);
  });

  it('a missing policy file exits 2', async () => {
    const run = await portcullis(['policy', 'check', join(E2E_FIXTURES, 'no-such-policy.yaml')]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^portcullis: POLICY_[A-Z_]+: /);
  });
});

describe('`portcullis dockerfile` on a bad Dockerfile', () => {
  const file = join(E2E_FIXTURES, 'Dockerfile.bad');
  /** Rule (by id or title) and the line its instruction starts on, read from the fixture's text. */
  const EXPECTED: [RegExp, number][] = [
    [/latest/i, 2],
    [/secret.*arg|arg.*secret/i, 3],
    [/pin|unpinned/i, 4],
    [/pipe|shell/i, 6],
    [/secret.*env|env.*secret/i, 8],
    [/add.*(url|remote)|remote.*url/i, 9],
    [/world-writable|chmod|777/i, 10],
    [/sudo/i, 10],
    [/22|ssh/i, 11],
  ];
  let report: JsonReport;
  let run: CliRun;
  let sarif: string;
  let scratch: { dir: string; cleanup: () => Promise<void> };

  beforeAll(async () => {
    scratch = await createScratch('dockerfile');
    sarif = join(scratch.dir, 'df.sarif');
    run = await portcullis(['dockerfile', file, '--format', 'json', '--report', `sarif=${sarif}`]);
    report = JSON.parse(run.stdout) as JsonReport;
  });
  afterAll(async () => {
    await scratch.cleanup();
  });

  it('exits 1 (deny) and never prints the ARG/ENV secret values', async () => {
    expect(run.code).toBe(1);
    expect(report.verdict.decision).toBe('deny');
    const sarifText = await readFile(sarif, 'utf8');
    for (const text of [run.stdout, sarifText]) {
      expect(text).not.toContain('npm_abcdefghijklmnopqrstuvwxyz0123456789');
      expect(text).not.toContain('hunter2-not-a-real-one');
    }
  });

  it.each(EXPECTED)('reports %s on line %i', (rule, line) => {
    const hits = report.findings.filter(
      (f) =>
        f.type === 'build-instruction' && (rule.test(f.id) || rule.test(f.title)) && f.location.line === line,
    );
    expect(
      hits,
      JSON.stringify(report.findings.map((f) => [f.id, f.title, f.location.line])),
    ).not.toHaveLength(0);
  });

  it('locates the SARIF results on the same lines, and the SARIF validates', async () => {
    const doc = JSON.parse(await readFile(sarif, 'utf8')) as {
      runs: {
        results: { ruleId: string; locations: { physicalLocation: { region?: { startLine?: number } } }[] }[];
      }[];
    };
    expect(toSchemaErrors(validators.sarif, doc)).toEqual([]);
    const fromSarif = (doc.runs[0]?.results ?? [])
      .map((r) => `${r.ruleId}:${r.locations[0]?.physicalLocation.region?.startLine}`)
      .sort();
    expect(fromSarif).toEqual(report.findings.map((f) => `${f.id}:${f.location.line}`).sort());
  });
});
