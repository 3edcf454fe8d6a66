// The policy digest keys the webhook's verdict cache: equal meaning must give equal bytes, and any change in
// meaning a different digest. Written against the mutants of `toCanonicalJson` that survived the suite.
import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY, policyDigest } from '../../core/src/policy/index.js';
import { toCanonicalJson } from '../../core/src/policy/digest.js';

describe('toCanonicalJson', () => {
  it('writes null and undefined as null, at the top and inside arrays and objects', () => {
    expect(toCanonicalJson(null)).toBe('null');
    expect(toCanonicalJson(undefined)).toBe('null');
    expect(toCanonicalJson([1, undefined, null])).toBe('[1,null,null]');
    expect(toCanonicalJson({ a: null })).toBe('{"a":null}');
  });

  it('leaves out object keys whose value is undefined (as JSON.stringify does)', () => {
    expect(toCanonicalJson({ a: undefined, b: 1 })).toBe('{"b":1}');
    expect(toCanonicalJson({ a: undefined, b: 1 })).toBe(toCanonicalJson({ b: 1 }));
  });

  it('sorts keys at every depth, so key order never changes the bytes', () => {
    const forward = { a: 1, b: { c: [{ d: 1, e: 2 }], f: 'x' }, g: true };
    const backward = { g: true, b: { f: 'x', c: [{ e: 2, d: 1 }] }, a: 1 };
    expect(toCanonicalJson(backward)).toBe('{"a":1,"b":{"c":[{"d":1,"e":2}],"f":"x"},"g":true}');
    expect(toCanonicalJson(backward)).toBe(toCanonicalJson(forward));
  });

  it('keeps array order (it carries meaning) and tells values apart', () => {
    expect(toCanonicalJson([2, 1])).not.toBe(toCanonicalJson([1, 2]));
    expect(toCanonicalJson({ a: '1' })).not.toBe(toCanonicalJson({ a: 1 }));
  });
});

describe('policyDigest', () => {
  it('is the same for the default policy written out with its keys in another order', () => {
    const reordered = Object.fromEntries(Object.entries(DEFAULT_POLICY).reverse()) as typeof DEFAULT_POLICY;
    expect(policyDigest(reordered)).toBe(policyDigest(DEFAULT_POLICY));
    expect(policyDigest(DEFAULT_POLICY)).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('changes when the meaning changes (one more exception)', () => {
    const changed = {
      ...DEFAULT_POLICY,
      exceptions: [{ id: 'CVE-2024-0001', reason: 'not reachable', owner: 'sec', expires: '2099-01-01' }],
    } as typeof DEFAULT_POLICY;
    expect(policyDigest(changed)).not.toBe(policyDigest(DEFAULT_POLICY));
  });
});
