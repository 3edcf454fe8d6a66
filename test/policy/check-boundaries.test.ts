// `policy check` at the edges, written against the surviving mutants of check.ts: the exact expiry instant is
// expired, the last instant of the warning window is expiring and the next one is not; an unreadable expiry
// counts as expired; owner and ticket are reported only when given; every every-image scope is named.
import { describe, expect, it } from 'vitest';
import { policyCheck } from '../../core/src/policy/index.js';
import type { Policy, PolicyException } from '../../core/src/policy/types.js';
import { NOW } from './helpers.js';

const DAY = 86_400_000;
const at = (ms: number): string => new Date(NOW.getTime() + ms).toISOString();
const policyOf = (exceptions: PolicyException[], expiryWarning?: string): Policy => ({
  apiVersion: 'portcullis/v1',
  ...(expiryWarning ? { gates: { expiryWarning } } : {}),
  exceptions,
});
const ex = (over: Partial<PolicyException>): PolicyException =>
  ({ id: 'CVE-2024-0001', reason: 'r', ...over }) as PolicyException;

describe('policyCheck at the expiry boundaries', () => {
  it('lists an exception expiring this very instant as expired, with 0 ms left', () => {
    const r = policyCheck(policyOf([ex({ expires: at(0) })]), NOW);
    // strict: no `owner`/`ticket` keys at all when the exception has none
    expect(r.expired).toStrictEqual([
      {
        index: 0,
        label: '#0 (CVE-2024-0001)',
        expires: at(0),
        remainingMs: 0,
        status: 'expired',
        message: `exception #0 (CVE-2024-0001) expired ${at(0)}`,
      },
    ]);
    expect(r.expiring).toEqual([]);
  });

  it('lists one a millisecond away as expiring, and one at the end of the window too', () => {
    const r = policyCheck(policyOf([ex({ expires: at(1) }), ex({ expires: at(14 * DAY) })]), NOW);
    expect(r.expired).toEqual([]);
    expect(r.expiring.map((e) => [e.index, e.remainingMs, e.status])).toEqual([
      [0, 1, 'expiring'],
      [1, 14 * DAY, 'expiring'],
    ]);
    expect(r.expiring[1]?.message).toBe(`exception #1 (CVE-2024-0001) expires ${at(14 * DAY)} (in 14 days)`);
  });

  it('leaves out one a millisecond past the window, and follows gates.expiryWarning', () => {
    expect(policyCheck(policyOf([ex({ expires: at(14 * DAY + 1) })]), NOW).expiring).toEqual([]);
    const r = policyCheck(policyOf([ex({ expires: at(2 * DAY) })], '1d'), NOW);
    expect(r.expiring).toEqual([]);
    expect(r.expired).toEqual([]);
    expect(policyCheck(policyOf([ex({ expires: at(DAY) })], '1d'), NOW).expiring).toHaveLength(1);
  });

  it('lists an unreadable expiry as expired (evaluation treats it so)', () => {
    const r = policyCheck(policyOf([ex({ expires: 'next tuesday' })]), NOW);
    expect(r.expired.map((e) => [e.index, e.remainingMs, e.message])).toEqual([
      [0, 0, 'exception #0 (CVE-2024-0001) expired next tuesday'],
    ]);
  });

  it('refuses an unreadable gates.expiryWarning with POLICY_INVALID', () => {
    expect(() => policyCheck(policyOf([ex({ expires: at(DAY) })], 'soon'), NOW)).toThrow(
      expect.objectContaining({ code: 'POLICY_INVALID' }),
    );
  });

  it('ignores exceptions without an expiry', () => {
    const r = policyCheck(policyOf([ex({})]), NOW);
    expect(r.expired).toEqual([]);
    expect(r.expiring).toEqual([]);
    expect(r.exceptionCount).toBe(1);
  });

  it('reports the ticket alone when there is no owner, with no owner key', () => {
    const r = policyCheck(policyOf([ex({ expires: at(DAY), ticket: 'SEC-9' })]), NOW);
    expect(r.expiring[0]).not.toHaveProperty('owner');
    expect(r.expiring[0]).toMatchObject({ ticket: 'SEC-9' });
    expect(r.expiring[0]?.message).toMatch(/ \(in 1 day\) \[SEC-9\]$/);
  });
});

describe('policyCheck warnings', () => {
  it('names every every-image glob of images, repositories and registries in one warning', () => {
    const r = policyCheck(
      policyOf([
        ex({
          images: ['ghcr.io/a/*', '**'],
          repositories: ['*'],
          registries: ['**/*'],
        } as Partial<PolicyException>),
      ]),
      NOW,
    );
    expect(r.warnings).toEqual([
      'exception #0 (CVE-2024-0001, ghcr.io/a/*, **, …) is scoped to every image ("**", "*", "**/*"): it applies wherever the policy is used',
    ]);
  });

  it('says nothing for narrow scopes and a named id', () => {
    const r = policyCheck(
      policyOf([ex({ images: ['ghcr.io/a/*'], repositories: ['docker.io/team/*'] })]),
      NOW,
    );
    expect(r.warnings).toEqual([]);
  });
});
