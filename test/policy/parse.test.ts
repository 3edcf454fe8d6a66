import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isPortcullisError } from '../../core/src/errors.js';
import type { PortcullisError } from '../../core/src/errors.js';
import {
  DEFAULT_POLICY,
  loadPolicy,
  parsePolicy,
  policyDigest,
  POLICY_SCHEMA,
  resolvePolicy,
} from '../../core/src/policy/index.js';
import { readPolicyFixture } from './helpers.js';

function problemsOf(text: string): PortcullisError {
  try {
    parsePolicy(text, 'test.yaml');
  } catch (err) {
    if (isPortcullisError(err)) return err;
    throw err;
  }
  throw new Error('expected parsePolicy to throw');
}

describe('parsePolicy', () => {
  describe('when the policy is valid YAML', () => {
    it('returns the document as written', () => {
      const p = parsePolicy(`
$schema: https://portcullis.dev/schemas/portcullis-policy.schema.json
apiVersion: portcullis/v1
scanners: { vuln: true, secret: { accessKeyLeak: true, passwordLeak: false }, baseline: { checks: [root-user] } }
gates: { deny: { severity: critical, types: [vulnerability] }, warn: { severity: medium }, fixableOnly: true, maxDbAge: 3d }
exceptions:
  - id: CVE-2023-32681
    images: ["registry.example.com/team/*"]
    reason: "not reachable: we never send proxy credentials"
    owner: team-a
    ticket: SEC-123
    expires: 2027-01-31
admission: { mode: warn, unknown: allow-and-scan, exemptNamespaces: [kube-system, monitoring], maxVerdictAge: 12h }
`);
      expect(p.gates?.deny?.severity).toBe('critical');
      // YAML 1.2 core schema: dates stay strings, so expiry is exactly what the user wrote.
      expect(p.exceptions?.[0]?.expires).toBe('2027-01-31');
      expect(p.admission?.unknown).toBe('allow-and-scan');
    });
  });

  describe('when the policy is JSON', () => {
    it('accepts it', () => {
      const p = parsePolicy(
        JSON.stringify({ apiVersion: 'portcullis/v1', exceptions: [{ id: 'X', reason: 'r' }] }),
      );
      expect(p.exceptions).toHaveLength(1);
    });
  });

  describe('when the policy has five different mistakes', () => {
    it('throws POLICY_INVALID listing all five with their paths and lines', () => {
      const err = problemsOf(readPolicyFixture('invalid-five.yaml'));
      expect(err.code).toBe('POLICY_INVALID');
      expect(err.problems.map((p) => p.path)).toEqual([
        '/scanners/vuln',
        '/gates/deny/severity',
        '/exceptions/0/reason',
        '/exceptions/1/expires',
        '/admission/failurePolicy',
      ]);
      const byPath = Object.fromEntries(err.problems.map((p) => [p.path, p.message]));
      expect(byPath['/scanners/vuln']).toMatch(/must be boolean \(line 3\)/);
      expect(byPath['/gates/deny/severity']).toMatch(/"critical", "high", "medium", "low"/);
      expect(byPath['/exceptions/0/reason']).toMatch(/required/);
      expect(byPath['/exceptions/1/expires']).toMatch(/date \(YYYY-MM-DD\)/);
      expect(byPath['/admission/failurePolicy']).toMatch(/not allowed.*mode, unknown/);
      expect(err.message).toContain('5 problems');
    });
  });

  describe('when an exception has no selector', () => {
    it('refuses it, since it would suppress everything', () => {
      const err = problemsOf('apiVersion: portcullis/v1\nexceptions:\n  - reason: because\n');
      expect(err.problems).toEqual([
        { path: '/exceptions/0', message: expect.stringMatching(/must name what it suppresses/) },
      ]);
    });
  });

  describe('when the text is not YAML', () => {
    it('throws POLICY_INVALID with the line', () => {
      const err = problemsOf('apiVersion: portcullis/v1\ngates: { deny: [\n');
      expect(err.code).toBe('POLICY_INVALID');
      expect(err.problems[0]?.path).toMatch(/^line \d+/);
    });
    it('rejects duplicate keys', () => {
      expect(problemsOf('apiVersion: portcullis/v1\napiVersion: portcullis/v1\n').code).toBe(
        'POLICY_INVALID',
      );
    });
  });

  describe('when the document is not a mapping', () => {
    it('says what was expected', () => {
      expect(problemsOf('- a\n- b\n').problems[0]).toEqual({
        path: '/',
        message: expect.stringMatching(/object/),
      });
    });
  });

  describe('when the text is huge', () => {
    it('refuses it before parsing', () => {
      expect(problemsOf(`# ${'x'.repeat(1024 * 1024)}\napiVersion: portcullis/v1\n`).message).toMatch(
        /larger than/,
      );
    });
  });
});

describe('loadPolicy', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pcs-policy-'));
  it('reads a file', async () => {
    const f = join(dir, 'portcullis.yaml');
    writeFileSync(f, 'apiVersion: portcullis/v1\n');
    await expect(loadPolicy(f)).resolves.toEqual({ apiVersion: 'portcullis/v1' });
  });
  it('throws POLICY_NOT_FOUND for a missing file', async () => {
    await expect(loadPolicy(join(dir, 'nope.yaml'))).rejects.toMatchObject({ code: 'POLICY_NOT_FOUND' });
  });
  it('names the file in POLICY_INVALID', async () => {
    const f = join(dir, 'bad.yaml');
    writeFileSync(f, 'apiVersion: v2\n');
    await expect(loadPolicy(f)).rejects.toMatchObject({
      code: 'POLICY_INVALID',
      message: expect.stringContaining(f),
    });
  });
});

describe('DEFAULT_POLICY', () => {
  it('validates against the published schema', () => {
    expect(parsePolicy(JSON.stringify(DEFAULT_POLICY))).toEqual(DEFAULT_POLICY);
    expect(POLICY_SCHEMA.$id).toBe('https://portcullis.dev/schemas/portcullis-policy.schema.json');
  });
  it('is frozen all the way down', () => {
    expect(Object.isFrozen(DEFAULT_POLICY.gates?.deny)).toBe(true);
    expect(Object.isFrozen(DEFAULT_POLICY.admission?.exemptNamespaces)).toBe(true);
  });
  it('resolves to deny ≥ high and warn ≥ medium for every type', () => {
    const r = resolvePolicy(DEFAULT_POLICY);
    expect(Object.values(r.gates.deny.byType)).toEqual(['high', 'high', 'high', 'high', 'high']);
    expect(Object.values(r.gates.warn.byType)).toEqual(['medium', 'medium', 'medium', 'medium', 'medium']);
    expect(r.gates.maxDbAge).toBe('7d');
    expect(r.admission).toEqual({
      mode: 'enforce',
      unknown: 'deny',
      exemptNamespaces: ['kube-system'],
      maxVerdictAge: '24h',
    });
    expect(r.scanners.secret).toEqual({ enabled: true, accessKeyLeak: true, passwordLeak: true });
  });
});

describe('resolvePolicy', () => {
  it('applies severityByType and types', () => {
    const r = resolvePolicy({
      apiVersion: 'portcullis/v1',
      gates: {
        deny: {
          severity: 'medium',
          types: ['vulnerability', 'baseline'],
          severityByType: { baseline: 'critical' },
        },
      },
      scanners: { secret: false, baseline: { checks: ['root-user'] } },
    });
    expect(r.gates.deny.byType).toEqual({
      vulnerability: 'medium',
      'sensitive-file': 'none',
      'malicious-sample': 'none',
      baseline: 'critical',
      'build-instruction': 'none',
    });
    expect(r.scanners.secret.enabled).toBe(false);
    expect(r.scanners.baseline).toEqual({ enabled: true, checks: ['root-user'] });
  });
});

describe('policyDigest', () => {
  it('is the same for equivalent documents (key order, defaults written out, $schema)', () => {
    const a = parsePolicy('apiVersion: portcullis/v1\n');
    const b = parsePolicy(
      '$schema: x\nadmission: { maxVerdictAge: 24h, mode: enforce }\ngates: { maxDbAge: 7d }\napiVersion: portcullis/v1\n',
    );
    expect(policyDigest(a)).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(policyDigest(b)).toBe(policyDigest(a));
    expect(policyDigest(resolvePolicy(a))).toBe(policyDigest(a));
  });
  it('changes when the meaning changes', () => {
    const a = parsePolicy('apiVersion: portcullis/v1\n');
    const b = parsePolicy('apiVersion: portcullis/v1\nexceptions: [{ id: CVE-1, reason: r }]\n');
    expect(policyDigest(b)).not.toBe(policyDigest(a));
  });
});
