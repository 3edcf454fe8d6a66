import { describe, expect, it } from 'vitest';
import { evaluateAffected, isInRange } from '../../core/src/matchers/index.js';
import { createComparator } from '../../core/src/versions/index.js';

const pypi = createComparator('PyPI');
const semver = createComparator('npm');
const deb = createComparator('Debian:12');

describe('isInRange', () => {
  it('handles introduced/fixed pairs listed out of order', () => {
    const range = {
      type: 'ECOSYSTEM',
      events: [{ introduced: '2.0.0' }, { fixed: '2.0.6' }, { introduced: '0' }, { fixed: '1.26.17' }],
    };
    expect(
      ['1.0', '1.26.16', '1.26.17', '1.99', '2.0.0', '2.0.5', '2.0.6'].map((v) => isInRange(v, range, pypi)),
    ).toEqual([true, true, false, false, true, true, false]);
  });

  it('includes last_affected itself and nothing after it', () => {
    const range = { type: 'SEMVER', events: [{ introduced: '1.0.0' }, { last_affected: '1.2.0' }] };
    expect(['0.9.0', '1.0.0', '1.2.0', '1.2.1'].map((v) => isInRange(v, range, semver))).toEqual([
      false,
      true,
      true,
      false,
    ]);
  });

  it('stops at a limit, and treats limit "*" as open-ended', () => {
    expect(
      isInRange('3.0.0', { type: 'SEMVER', events: [{ introduced: '1.0.0' }, { limit: '2.0.0' }] }, semver),
    ).toBe(false);
    expect(
      isInRange('3.0.0', { type: 'SEMVER', events: [{ introduced: '1.0.0' }, { limit: '*' }] }, semver),
    ).toBe(true);
  });

  it('orders Debian epochs and tildes while walking events', () => {
    const range = { type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '1:2.0~rc1-1' }] };
    expect(isInRange('1:1.9-3', range, deb)).toBe(true);
    expect(isInRange('3.0-1', range, deb)).toBe(true); // no epoch: older than any 1:…
    expect(isInRange('1:2.0-1', range, deb)).toBe(false);
  });
});

describe('evaluateAffected', () => {
  it('matches a versions list, ignores GIT ranges and collects fixed versions', () => {
    const affected = {
      package: { ecosystem: 'PyPI', name: 'x' },
      ranges: [
        {
          type: 'GIT',
          repo: 'https://example.invalid/x',
          events: [{ introduced: '0' }, { fixed: 'a'.repeat(40) }],
        },
        { type: 'ECOSYSTEM', events: [{ introduced: '1.0' }, { fixed: '1.5' }] },
      ],
      versions: ['0.9'],
    };
    expect(evaluateAffected('0.9', affected, pypi, semver)).toEqual({ affected: true, fixed: ['1.5'] });
    expect(evaluateAffected('0.8', affected, pypi, semver).affected).toBe(false);
    expect(evaluateAffected('1.4', affected, pypi, semver).affected).toBe(true);
  });

  it('throws VERSION_INVALID rather than answering "not affected" for an unorderable version', () => {
    const affected = {
      package: { ecosystem: 'PyPI', name: 'x' },
      ranges: [{ type: 'SEMVER', events: [{ introduced: '1.0.0' }] }],
    };
    expect(() => evaluateAffected('banana', affected, pypi, semver)).toThrow(/invalid semver version/);
  });
});
