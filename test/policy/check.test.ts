import { beforeEach, describe, expect, it } from 'vitest';
import { parsePolicy, policyCheck, policyDigest } from '../../core/src/policy/index.js';
import { daysFrom, NOW } from './helpers.js';

describe('policyCheck', () => {
  const p = parsePolicy(`apiVersion: portcullis/v1
exceptions:
  - { id: CVE-1, reason: gone, owner: team-a, ticket: SEC-1, expires: "${daysFrom(NOW, -3)}" }
  - { id: CVE-2, reason: soon, expires: "${daysFrom(NOW, 5)}" }
  - { id: CVE-3, reason: later, expires: "${daysFrom(NOW, 40)}" }
  - { id: CVE-4, reason: forever }
`);
  // computed inside each test, not while the file is collected: mutation testing activates a mutant per test
  let r: ReturnType<typeof policyCheck>;
  beforeEach(() => {
    r = policyCheck(p, NOW);
  });
  it('lists expired entries with owner and ticket', () => {
    expect(r.expired).toHaveLength(1);
    expect(r.expired[0]).toMatchObject({ index: 0, status: 'expired', owner: 'team-a', ticket: 'SEC-1' });
    expect(r.expired[0]?.message).toBe(`exception #0 (CVE-1) expired ${daysFrom(NOW, -3)} [team-a, SEC-1]`);
  });
  it('lists entries expiring within the warning window', () => {
    expect(r.expiring.map((e) => e.index)).toEqual([1]);
    expect(r.expiring[0]?.message).toMatch(/expires .* \(in 4 days\)$/);
  });
  it('reports the count and digest', () => {
    expect(r.exceptionCount).toBe(4);
    expect(r.policyDigest).toBe(policyDigest(p));
  });
});
