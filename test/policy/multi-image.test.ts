import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_POLICY, evaluatePolicy, parsePolicy, type Policy } from '../../core/src/policy/index.js';
import { scan } from '../../core/src/scan/index.js';
import type { ScanResult } from '../../core/src/types/scan.js';
import { haveTestImages, NO_IMAGES_REASON, skipReason, TEST_IMAGES, TEST_REGISTRY } from '../helpers/env.js';
import { daysFrom } from './helpers.js';

const NOW = new Date('2026-11-27T12:00:00Z');
/** The registry serves the same multi image; the webhook evaluates stored findings under the pod's reference. */
const POD_IMAGE = `${TEST_REGISTRY}/fixtures/debian:multi`;

/**
 * These cases are about exceptions; the image is scanned without a vulnerability DB, which every policy denies
 * unless it turns the vuln scanner off (gates.missingDb), so they do.
 */
function parseWithoutVulns(text: string): Policy {
  const p = parsePolicy(text);
  return { ...p, scanners: { ...p.scanners, vuln: false } };
}

describe.skipIf(!haveTestImages && skipReason(NO_IMAGES_REASON))(
  'policy on the real multi test image',
  () => {
    let result: ScanResult;
    beforeAll(async () => {
      result = await scan(`oci:${join(TEST_IMAGES, 'oci')}:multi`);
    });

    it('the default policy denies', () => {
      const { verdict } = evaluatePolicy(result, DEFAULT_POLICY, { now: NOW });
      expect(verdict.decision).toBe('deny');
      expect(verdict.reasons.join('\n')).toMatch(/\/root\/\.ssh\/id_rsa/);
      expect(verdict.reasons.join('\n')).toMatch(/\/opt\/miner\/eicar\.com/);
      expect(result.findings.length).toBeGreaterThan(3);
    });

    it('exceptions by id turn it into allow, listing every suppressed finding with its reason', () => {
      const ids = [...new Set(result.findings.map((f) => f.id))];
      const p = parseWithoutVulns(
        JSON.stringify({
          apiVersion: 'portcullis/v1',
          exceptions: ids.map((id) => ({ id, reason: `reviewed: ${id}` })),
        }),
      );
      const ev = evaluatePolicy(result, p, { now: NOW });
      expect(ev.verdict.decision).toBe('allow');
      expect(ev.verdict.counts.suppressed).toBe(result.findings.length);
      for (const f of ev.findings) expect(f.suppressedBy?.reason).toBe(`reviewed: ${f.id}`);
    });

    it('exceptions by path glob suppress every file finding', () => {
      const p = parseWithoutVulns(`apiVersion: portcullis/v1
exceptions:
  - { path: ["/app/**", "/root/.ssh/*", "/opt/miner/*", "/etc/**", "/usr/**"], reason: "fixture files" }
  - { type: build-instruction, id: "*", reason: "history reviewed" }
  - { type: baseline, id: "PCS-BASELINE-*", reason: "baseline reviewed" }
`);
      const ev = evaluatePolicy(result, p, { now: NOW });
      expect(ev.verdict.decision).toBe('allow');
      const withPath = ev.findings.filter((f) => f.location.path !== undefined);
      expect(withPath.length).toBeGreaterThan(0);
      for (const f of withPath) expect(f.suppressedBy?.index, `${f.id} ${f.location.path}`).toBe(0);
    });

    it('an exception by image glob allows that image only', () => {
      const p = parseWithoutVulns(
        'apiVersion: portcullis/v1\nexceptions: [{ id: "*", images: ["127.0.0.1:*/fixtures/*"], reason: "fixture images" }]\n',
      );
      expect(evaluatePolicy(result, p, { now: NOW, image: { ref: POD_IMAGE } }).verdict.decision).toBe(
        'allow',
      );
      expect(
        evaluatePolicy(result, p, { now: NOW, image: { ref: 'registry.example.com/app:1' } }).verdict
          .decision,
      ).toBe('deny');
      const local = parseWithoutVulns(
        `apiVersion: portcullis/v1\nexceptions: [{ id: "*", images: ["oci:/**/oci:multi"], reason: "local layout" }]\n`,
      );
      expect(evaluatePolicy(result, local, { now: NOW }).verdict.decision).toBe('allow');
    });

    it('an expired entry no longer suppresses; one expiring in 5 days warns', () => {
      const entry = (expires: string): string =>
        `apiVersion: portcullis/v1\nexceptions: [{ id: "*", images: ["127.0.0.1:*/fixtures/*"], reason: "temporary", expires: "${expires}" }]\n`;
      const expired = evaluatePolicy(result, parseWithoutVulns(entry(daysFrom(NOW, -1))), {
        now: NOW,
        image: { ref: POD_IMAGE },
      });
      expect(expired.verdict.decision).toBe('deny');
      expect(expired.verdict.warnings.some((w) => /expired .* no longer suppresses/.test(w))).toBe(true);
      const soon = evaluatePolicy(result, parseWithoutVulns(entry(daysFrom(NOW, 5))), {
        now: new Date('2026-11-27T00:00:00Z'),
        image: { ref: POD_IMAGE },
      });
      expect(soon.verdict.decision).toBe('warn');
      expect(soon.verdict.warnings.some((w) => /expires 2026-12-02 \(in 5 days\)/.test(w))).toBe(true);
    });
  },
);
