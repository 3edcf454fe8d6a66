/**
 * Issue #11 item 21 at admission: exempt labels must ALL match (not any), and an exception scoped to a digest,
 * a registry or a namespace never allows an image outside that scope.
 */
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { createMemoryStore, type DigestResolver, type VerdictStore } from '../../webhook/src/index.js';
import {
  MULTI_REF as MULTI,
  MIN_DIGEST,
  MULTI_DIGEST,
  podRequest,
  readScan,
  resolvedPolicy,
  testApp,
  toReview,
  toStored,
} from './helpers.js';

const noRegistry: DigestResolver = {
  resolveDigest: async (ref) => {
    throw new Error(`registry asked for ${ref}`);
  },
};

async function storeWith(): Promise<VerdictStore> {
  const store = createMemoryStore();
  await store.put(toStored(readScan('multi')));
  // the same findings under another digest (another build of the same repository)
  const other = readScan('multi');
  other.image.digest = MIN_DIGEST;
  await store.put(toStored(other));
  return store;
}

async function allowed(app: Parameters<typeof request>[0], req: Record<string, unknown>): Promise<boolean> {
  const res = await request(app).post('/validate').send(toReview(req)).expect(200);
  return (res.body as { response: { allowed: boolean } }).response.allowed;
}

/** Every finding that trips the default deny gate in the multi image. */
const DENY_IDS =
  'PCS-SECRET-PRIVATE-KEY, PCS-SECRET-AWS-SECRET-ACCESS-KEY, PCS-MALWARE-EICAR-TEST-FILE, PCS-BASELINE-EMPTY-PASSWORD, PCS-BUILD-PIPE-TO-SHELL, GO-2023-1840, PYSEC-2023-192';

describe('admission: exempt labels', () => {
  const labels = { 'portcullis.dev/exempt': 'true', 'team.example/tier': 'sandbox' };

  it('exempt only when every configured label matches, with its value', async () => {
    const t = testApp(await storeWith(), { exemptLabels: labels }, { resolver: noRegistry });
    expect(await allowed(t.app, podRequest([MULTI], { labels }))).toBe(true);
    // one of two labels is not enough
    expect(await allowed(t.app, podRequest([MULTI], { labels: { 'portcullis.dev/exempt': 'true' } }))).toBe(
      false,
    );
    expect(await allowed(t.app, podRequest([MULTI], { labels: { 'team.example/tier': 'sandbox' } }))).toBe(
      false,
    );
    // the right key with another value is not a match
    expect(
      await allowed(t.app, podRequest([MULTI], { labels: { ...labels, 'team.example/tier': 'prod' } })),
    ).toBe(false);
    expect(await allowed(t.app, podRequest([MULTI]))).toBe(false);
  });
});

describe('admission: exception scopes', () => {
  it('a digest-scoped exception allows that digest only, not another build of the same repository', async () => {
    const t = testApp(await storeWith(), {}, { resolver: noRegistry });
    t.policy.setPolicy(
      resolvedPolicy(
        `apiVersion: portcullis/v1\nexceptions:\n  - { id: [${DENY_IDS}], digest: "${MULTI_DIGEST}", reason: r }\n`,
      ),
    );
    expect(await allowed(t.app, podRequest([MULTI]))).toBe(true);
    expect(await allowed(t.app, podRequest([`127.0.0.1:5000/fixtures/debian@${MIN_DIGEST}`]))).toBe(false);
  });

  it('a registry-scoped exception does not allow the same digest pulled from another registry', async () => {
    const t = testApp(await storeWith(), {}, { resolver: noRegistry });
    t.policy.setPolicy(
      resolvedPolicy(
        `apiVersion: portcullis/v1\nexceptions:\n  - { id: [${DENY_IDS}], registries: ["127.0.0.1:5000"], reason: r }\n`,
      ),
    );
    expect(await allowed(t.app, podRequest([MULTI]))).toBe(true);
    expect(await allowed(t.app, podRequest([`registry.example.com/fixtures/debian@${MULTI_DIGEST}`]))).toBe(
      false,
    );
  });

  it('a namespace-scoped exception does not follow the image into another namespace', async () => {
    const t = testApp(await storeWith(), {}, { resolver: noRegistry });
    t.policy.setPolicy(
      resolvedPolicy(
        `apiVersion: portcullis/v1\nexceptions:\n  - { id: [${DENY_IDS}], namespaces: ["team-*"], reason: r }\n`,
      ),
    );
    expect(await allowed(t.app, podRequest([MULTI], { namespace: 'team-a' }))).toBe(true);
    expect(await allowed(t.app, podRequest([MULTI], { namespace: 'teams' }))).toBe(false);
    expect(await allowed(t.app, podRequest([MULTI], { namespace: 'prod' }))).toBe(false);
  });
});
