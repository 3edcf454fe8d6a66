import { describe, expect, it } from 'vitest';
import { evaluatePolicy, parsePolicy } from '../../core/src/policy/index.js';
import { REPORT_FORMATS, renderReport } from '../../core/src/report/index.js';
import type { Evaluation } from '../../core/src/types/scan.js';
import { createValidators, NOW, options, readMultiScan } from './helpers.js';

// Issue 5: "entries expiring within a warning window produce warnings in every output".
const scan = readMultiScan();
const POLICY = `apiVersion: portcullis/v1
exceptions:
  - { path: "/opt/miner/*", reason: "EICAR is the AV self-test", expires: "2026-12-05" }
`;
function evaluateAt(now: Date): Evaluation {
  return evaluatePolicy(scan, parsePolicy(POLICY), { now });
}
const expiring = evaluateAt(NOW);
const warning = expiring.verdict.warnings.find((w) => /expires 2026-12-05/.test(w)) ?? '';
const validators = createValidators();

interface CodeQualityIssue {
  check_name: string;
  severity: string;
  fingerprint: string;
  description: string;
  location: { path: string; lines: { begin: number } };
}
interface Sarif {
  runs: {
    invocations?: {
      executionSuccessful: boolean;
      toolExecutionNotifications?: { level: string; message: { text: string } }[];
    }[];
  }[];
}

describe('issue 5: an exception expiring within the warning window', () => {
  it('is a verdict warning (the precondition of every check below)', () => {
    expect(warning).toMatch(/^exception .* expires 2026-12-05 \(in /);
  });

  for (const format of REPORT_FORMATS) {
    it(`warns in ${format}`, () => {
      expect(renderReport(format, scan, expiring, options())).toContain('expires 2026-12-05');
    });
  }

  describe('in SARIF', () => {
    it('is a tool execution notification at level warning, and the run still succeeded', () => {
      const sarif = JSON.parse(renderReport('sarif', scan, expiring, options())) as Sarif;
      const invocation = sarif.runs[0]?.invocations?.[0];
      expect(invocation?.executionSuccessful).toBe(true);
      expect(invocation?.toolExecutionNotifications).toContainEqual({
        level: 'warning',
        message: { text: warning },
      });
      expect(validators.sarif(sarif)).toBe(true);
    });
  });

  describe('in GitLab Code Quality', () => {
    const issuesAt = (now: Date, extra = {}): CodeQualityIssue[] =>
      (
        JSON.parse(
          renderReport('codequality', scan, evaluateAt(now), options({ now, ...extra })),
        ) as CodeQualityIssue[]
      ).filter((i) => i.check_name.startsWith('portcullis-policy-'));

    it('is one info issue located at the policy file, valid against the schema', () => {
      const doc: unknown = JSON.parse(renderReport('codequality', scan, expiring, options()));
      expect(validators.codequality(doc)).toBe(true);
      const issues = issuesAt(NOW);
      expect(issues).toHaveLength(1);
      expect(issues[0]).toMatchObject({
        check_name: 'portcullis-policy-exception-expiring',
        severity: 'info',
        description: warning,
        location: { path: 'portcullis.yaml', lines: { begin: 1 } },
      });
    });

    it('is located at the policy path the caller names', () => {
      expect(issuesAt(NOW, { policyPath: 'ci/policy.yaml' })[0]?.location.path).toBe('ci/policy.yaml');
    });

    it('keeps its fingerprint from one day to the next (the countdown is not part of it)', () => {
      const today = issuesAt(NOW)[0];
      const tomorrow = issuesAt(new Date(NOW.getTime() + 86_400_000))[0];
      expect(today?.description).not.toBe(tomorrow?.description);
      expect(today?.fingerprint).toMatch(/^[0-9a-f]{32}$/);
      expect(tomorrow?.fingerprint).toBe(today?.fingerprint);
    });
  });
});
