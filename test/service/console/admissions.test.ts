import request from 'supertest';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import {
  createMemoryStore,
  createMemoryTaskStore,
  DEFAULT_POLICY,
  type AdmissionEvent,
} from '../../../core/src/index.js';
import { createServiceApp } from '../../../service/src/app.js';
import { createServiceMetrics } from '../../../service/src/metrics.js';
import type { TaskRunner } from '../../../service/src/runner.js';
import {
  MULTI_REF as MULTI,
  MULTI_DIGEST,
  podRequest,
  readScan,
  testApp,
  toReview,
  toStored,
} from '../../webhook/helpers.js';
import { createCapturingLogger, READ_TOKEN, TOKENS } from '../helpers.js';

const NOW = new Date('2026-12-01T12:00:00Z');
const EVIL = '<script>alert(1)</script>';

/**
 * The Overview's "Denied at admission": what the webhook recorded in the verdict store both share, read by
 * `/api/v1/overview` and the console page — not the images today's policy denies (that list keeps its own title).
 */
describe('overview: pods denied at admission', () => {
  const verdicts = createMemoryStore();
  const deps = {
    policy: () => DEFAULT_POLICY,
    tasks: createMemoryTaskStore(),
    verdicts,
    runner: {} as unknown as TaskRunner,
    tokens: TOKENS,
    logger: createCapturingLogger().logger,
    metrics: createServiceMetrics(),
    now: () => NOW,
  };
  const app = createServiceApp(deps);
  const warn: AdmissionEvent = {
    at: '2026-12-01T11:59:00.000Z',
    image: 'registry.example/app:1',
    namespace: 'team-w',
    verdict: 'warn',
    reasons: ['a warning, not a denial'],
  };

  beforeAll(async () => {
    // the webhook, on the same store, denies a pod with the multi image (stored scan, default policy)
    await verdicts.put(toStored(readScan('multi')));
    const webhook = testApp(
      verdicts,
      {},
      {
        resolver: {
          resolveDigest: async (ref) => {
            throw new Error(`registry asked for ${ref}`);
          },
        },
      },
    );
    const res = await request(webhook.app)
      .post('/validate')
      .send(toReview(podRequest([MULTI], { namespace: 'payments' })))
      .expect(200);
    expect(res.body.response.allowed).toBe(false);
    await vi.waitFor(async () => expect(await verdicts.listAdmissions(5)).toHaveLength(1));
    // a recorded warning is not a denial; a hostile reason is escaped on the page
    await verdicts.recordAdmissions([warn]);
    await verdicts.recordAdmissions([
      {
        at: '2026-12-01T11:58:00.000Z',
        image: 'registry.example/evil:1',
        namespace: 'team-e',
        verdict: 'deny',
        reasons: [EVIL],
      },
    ]);
  });

  it('/api/v1/overview lists recorded denials, newest first, without warnings', async () => {
    const res = await request(app)
      .get('/api/v1/overview')
      .set({ authorization: `Bearer ${READ_TOKEN}` })
      .expect(200);
    const admissions = res.body.admissions as AdmissionEvent[];
    expect(admissions.map((a) => [a.namespace, a.verdict])).toEqual([
      ['team-e', 'deny'],
      ['payments', 'deny'],
    ]);
    expect(admissions[1]).toMatchObject({ image: MULTI, digest: MULTI_DIGEST, pod: 'app' });
    expect(admissions[1]?.reasons[0]).toContain(`image ${MULTI} denied`);
    // the policy-denied list is still there, separately
    expect(res.body.denied.map((d: { digest: string }) => d.digest)).toEqual([MULTI_DIGEST]);
  });

  it('the Overview page shows them under "Denied at admission", the policy list under its own title', async () => {
    const signIn = await request(app).post('/sign-in').type('form').send({ token: READ_TOKEN }).expect(303);
    const cookie = (signIn.headers['set-cookie'] as unknown as string[])[0]!.split(';')[0]!;
    const page = (await request(app).get('/overview').set('cookie', cookie).expect(200)).text;
    const section = /<section aria-labelledby="ov-admissions">([\s\S]*?)<\/section>/.exec(page)?.[1] ?? '';
    expect(section).toContain('Denied at admission');
    expect(section).toContain('payments');
    expect(section).toContain(`href="/images/${MULTI_DIGEST}"`);
    expect(section).toContain('(pod app)');
    expect(section).toContain(`image ${MULTI} denied`);
    expect(section).not.toContain('team-w');
    expect(section).not.toContain(EVIL);
    expect(section).toContain('&lt;script&gt;');
    expect(page).toMatch(/<h2 id="ov-denied">Denied by the current policy<\/h2>/);
  });

  it('says so when nothing was denied at admission', async () => {
    const empty = createServiceApp({ ...deps, verdicts: createMemoryStore() });
    const res = await request(empty)
      .get('/api/v1/overview')
      .set({ authorization: `Bearer ${READ_TOKEN}` })
      .expect(200);
    expect(res.body.admissions).toEqual([]);
    const signIn = await request(empty).post('/sign-in').type('form').send({ token: READ_TOKEN }).expect(303);
    const cookie = (signIn.headers['set-cookie'] as unknown as string[])[0]!.split(';')[0]!;
    const page = (await request(empty).get('/overview').set('cookie', cookie).expect(200)).text;
    expect(page).toContain('No admission denial recorded.');
  });
});
