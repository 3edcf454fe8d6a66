/**
 * Issue #11 item 4: exceptions that silently suppress everything. Every exception names what it suppresses;
 * catch-all scopes are explicit and warned about; `images: ["*"]` means every image; unused entries are notes.
 */
import { describe, expect, it } from 'vitest';
import { isPortcullisError, type PortcullisError } from '../../core/src/errors.js';
import { evaluatePolicy, parsePolicy, policyCheck } from '../../core/src/policy/index.js';
import { renderReport } from '../../core/src/report/index.js';
import { NOW, readMultiScan } from './helpers.js';

function refusal(yaml: string): PortcullisError {
  try {
    parsePolicy(`apiVersion: portcullis/v1\n${yaml}`, 'test.yaml');
  } catch (err) {
    if (isPortcullisError(err)) return err;
    throw err;
  }
  throw new Error('expected parsePolicy to refuse the policy');
}

describe('exceptions must name what they suppress', () => {
  it('refuses a scope-only entry ({images: ["**"], reason}) with its path', () => {
    const err = refusal('exceptions:\n  - { images: ["**"], reason: temp }\n');
    expect(err.code).toBe('POLICY_INVALID');
    expect(err.problems).toEqual([
      { path: '/exceptions/0', message: expect.stringMatching(/must name what it suppresses.*only images/) },
    ]);
  });

  it('refuses a type-only entry and an entry with no selector at all', () => {
    const err = refusal(
      'exceptions:\n  - { id: CVE-1, reason: ok }\n  - { type: malicious-sample, reason: temp }\n  - { reason: because }\n',
    );
    expect(err.problems.map((p) => p.path)).toEqual(['/exceptions/1', '/exceptions/2']);
    expect(err.problems[1]?.message).toMatch(/without one/);
  });

  it('refuses id "*" with neither type nor scope (every finding of every image)', () => {
    const err = refusal('exceptions:\n  - { id: "*", reason: temp }\n');
    expect(err.problems).toEqual([
      {
        path: '/exceptions/0/id',
        message: expect.stringMatching(/every finding of every image.*images: \["\*\*"\]/),
      },
    ]);
  });

  it('accepts the explicit catch-all ({id: "*", images: ["**"]}) and policy check warns about it', () => {
    const p = parsePolicy(
      'apiVersion: portcullis/v1\nexceptions:\n  - { id: "*", images: ["**"], reason: temp }\n',
    );
    const r = policyCheck(p, NOW);
    expect(r.warnings).toEqual([
      'exception #0 (*, **) is scoped to every image ("**"): it applies wherever the policy is used',
      'exception #0 (*, **) suppresses every finding in its scope',
    ]);
  });

  it('policy check does not warn about named, scoped entries', () => {
    const p = parsePolicy(
      'apiVersion: portcullis/v1\nexceptions:\n  - { id: CVE-1, images: ["docker.io/library/*"], reason: ok }\n  - { type: baseline, path: /etc/shadow, reason: ok }\n',
    );
    expect(policyCheck(p, NOW).warnings).toEqual([]);
  });
});

describe('images: ["*"] means every image', () => {
  const scan = readMultiScan();
  const p = parsePolicy(
    'apiVersion: portcullis/v1\nexceptions:\n  - { id: PCS-SECRET-PRIVATE-KEY, images: ["*"], reason: rotated }\n',
  );
  for (const ref of [
    '127.0.0.1:5000/fixtures/debian:multi',
    'nginx:1.25',
    'ghcr.io/org/team/app@sha256:0720cff0902dcb53125c308d97ace3a17a16772b90489e81ec2796c34bddad29',
  ]) {
    it(`suppresses the named finding in ${ref}`, () => {
      const ev = evaluatePolicy(scan, p, { now: NOW, image: { ref } });
      const key = ev.findings.find((f) => f.id === 'PCS-SECRET-PRIVATE-KEY');
      expect(key?.suppressedBy?.index).toBe(0);
      // and only that one
      expect(ev.findings.filter((f) => f.suppressedBy !== undefined)).toHaveLength(1);
    });
  }
  it('policy check warns that it is scoped to every image', () => {
    expect(policyCheck(p, NOW).warnings[0]).toMatch(/scoped to every image \("\*"\)/);
  });
});

describe('unused exceptions are notes', () => {
  const scan = readMultiScan();
  const p = parsePolicy(`apiVersion: portcullis/v1
exceptions:
  - { id: PCS-SECRET-PRIVATE-KEY, reason: used }
  - { id: CVE-0000-0000, reason: nothing has it }
  - { id: PCS-MALWARE-EICAR-TEST-FILE, images: ["registry.example.com/other"], reason: other image }
`);
  const ev = evaluatePolicy(scan, p, { now: NOW });
  it('lists every entry that suppressed nothing, with its path, and not the one that did', () => {
    expect(ev.notes).toEqual([
      {
        code: 'POLICY_EXCEPTION_UNUSED',
        message: 'exception #1 (CVE-0000-0000) suppressed no finding of this image',
        path: '/exceptions/1',
      },
      {
        code: 'POLICY_EXCEPTION_UNUSED',
        message:
          'exception #2 (PCS-MALWARE-EICAR-TEST-FILE, registry.example.com/other) suppressed no finding of this image',
        path: '/exceptions/2',
      },
    ]);
  });
  it('the JSON report carries them in notes', () => {
    const out = JSON.parse(
      renderReport('json', scan, ev, { now: NOW, newId: () => 'id', toolVersion: '0.0.0' }),
    ) as {
      notes: { code: string; path?: string }[];
    };
    expect(out.notes.filter((n) => n.code === 'POLICY_EXCEPTION_UNUSED').map((n) => n.path)).toEqual([
      '/exceptions/1',
      '/exceptions/2',
    ]);
  });
});
