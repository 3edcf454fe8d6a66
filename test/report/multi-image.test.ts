import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_POLICY, evaluatePolicy } from '../../core/src/policy/index.js';
import { REPORT_FORMATS, renderReport } from '../../core/src/report/index.js';
import { scan } from '../../core/src/scan/index.js';
import type { Evaluation, ScanResult } from '../../core/src/types/scan.js';
import { haveTestImages, NO_IMAGES_REASON, skipReason, TEST_IMAGES } from '../helpers/env.js';
import { createValidators, NOW, options } from './helpers.js';

/** The secret values scripts/test-images.sh plants in the multi image. */
const PLANTED = [
  'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  'LTAI5tQz8vRmXw3YbNc7KpLd',
  'Hn4Ks9TqWv2XyZ7bRm3PcLd8FgJ6Et',
  'MIIEpAIBAAKCAQEAfakefake',
];

describe.skipIf(!haveTestImages && skipReason(NO_IMAGES_REASON))(
  'reports of the real multi test image',
  () => {
    let result: ScanResult;
    let evaluation: Evaluation;
    const validators = createValidators();
    beforeAll(async () => {
      result = await scan(`oci:${join(TEST_IMAGES, 'oci')}:multi`);
      evaluation = evaluatePolicy(result, DEFAULT_POLICY, { now: NOW });
    });

    for (const format of ['sarif', 'gitlab', 'cyclonedx', 'codequality', 'json'] as const) {
      it(`${format} validates against its schema`, () => {
        const ok = validators[format](JSON.parse(renderReport(format, result, evaluation, options())));
        expect(validators[format].errors ?? []).toEqual([]);
        expect(ok).toBe(true);
      });
    }

    for (const format of REPORT_FORMATS) {
      it(`${format} contains no planted secret value`, () => {
        const out = renderReport(format, result, evaluation, options());
        for (const secret of PLANTED) expect(out).not.toContain(secret);
      });
    }

    it('the CycloneDX BOM lists every package of the image', () => {
      const bom = JSON.parse(renderReport('cyclonedx', result, evaluation, options())) as {
        components: { purl?: string }[];
      };
      const purls = new Set(bom.components.map((c) => c.purl));
      for (const p of result.packages) expect(purls.has(p.purl)).toBe(true);
      expect(result.packages.length).toBeGreaterThan(50);
    });
  },
);
