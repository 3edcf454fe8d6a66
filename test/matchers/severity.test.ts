import * as cvssNamespace from 'ae-cvss-calculator';
import { describe, expect, it } from 'vitest';
import {
  toCvss3BaseScore,
  toCvss4Score,
  toSeverity,
  toSeverityFromScore,
} from '../../core/src/matchers/index.js';

type CvssLib = typeof cvssNamespace;
const { Cvss3P1 } = (cvssNamespace as unknown as { default?: CvssLib }).default ?? cvssNamespace;

function* allBaseVectors(): Generator<string> {
  for (const av of 'NALP')
    for (const ac of 'LH')
      for (const pr of 'NLH')
        for (const ui of 'NR')
          for (const s of 'UC')
            for (const c of 'HLN')
              for (const i of 'HLN')
                for (const a of 'HLN')
                  yield `CVSS:3.1/AV:${av}/AC:${ac}/PR:${pr}/UI:${ui}/S:${s}/C:${c}/I:${i}/A:${a}`;
}

describe('toCvss3BaseScore', () => {
  it('agrees with ae-cvss-calculator on all 2,592 CVSS 3.1 base vectors', () => {
    const disagreements: string[] = [];
    let n = 0;
    for (const v of allBaseVectors()) {
      n++;
      const ours = toCvss3BaseScore(v);
      const theirs = new Cvss3P1(v).calculateScores().base;
      if (ours !== theirs) disagreements.push(`${v}: ours ${ours} theirs ${theirs}`);
    }
    expect(n).toBe(2592);
    expect(disagreements).toEqual([]);
  });

  it.each([
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 9.8],
    ['CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:N', 8.1],
    ['CVSS:3.0/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N', 6.1],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N', 0],
  ])('scores %s as %d (NVD values)', (v, score) => {
    expect(toCvss3BaseScore(v)).toBe(score);
  });

  it.each(['CVSS:2.0/AV:N', 'CVSS:3.1/AV:N/AC:L', 'CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 'garbage'])(
    'returns undefined for %s',
    (v) => {
      expect(toCvss3BaseScore(v)).toBeUndefined();
    },
  );
});

describe('toSeverity', () => {
  it('maps scores to the CVSS bands', () => {
    expect([9.8, 9, 8.9, 7, 6.9, 4, 3.9, 0.1, 0].map(toSeverityFromScore)).toEqual([
      'critical',
      'critical',
      'high',
      'high',
      'medium',
      'medium',
      'low',
      'low',
      'low',
    ]);
  });

  it('uses a CVSS v4 vector when that is all there is (RUSTSEC-2024-0445)', () => {
    const v = 'CVSS:4.0/AV:N/AC:L/AT:P/PR:L/UI:N/VC:L/VI:L/VA:L/SC:N/SI:N/SA:N';
    expect(toCvss4Score(v)).toBe(2.3);
    expect(toSeverity({ recordSeverity: [{ type: 'CVSS_V4', score: v }] }).severity).toBe('low');
  });

  it('prefers the distribution rating, and per-package severity over the record', () => {
    const v3 = [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' }];
    expect(toSeverity({ recordSeverity: v3 }).severity).toBe('critical');
    expect(toSeverity({ recordSeverity: [{ type: 'Ubuntu', score: 'negligible' }] }).severity).toBe('low');
    expect(toSeverity({ recordSeverity: v3, databaseSpecific: { severity: 'MODERATE' } }).severity).toBe(
      'medium',
    );
    expect(
      toSeverity({ recordSeverity: v3, affectedSeverity: [{ type: 'Ubuntu', score: 'high' }] }).severity,
    ).toBe('high');
    expect(toSeverity({}).severity).toBe('unknown');
  });
});
