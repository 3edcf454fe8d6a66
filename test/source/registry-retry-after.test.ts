/**
 * The registry transport's 429 handling, shared by pulls and catalog listing: `Retry-After` (seconds or an
 * HTTP date) is waited through the injected sleep, a wait beyond the cap gives up at once, and 429s that
 * outlast the retries end in REGISTRY_RATE_LIMITED (a scan can tell throttling from an outage).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createRegistryClient } from '../../core/src/source/index.js';
import { parseRetryAfter } from '../../core/src/source/registry/http.js';
import { createRecordingSleep, rejectionOf, startFake, type FakeServer } from './catalog/fake-server.js';

describe('parseRetryAfter', () => {
  it('reads delta-seconds and HTTP dates, and ignores garbage', () => {
    const now = Date.parse('2026-12-01T00:00:00Z');
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter('Tue, 01 Dec 2026 00:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Mon, 30 Nov 2026 00:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter(['7', '9'], now)).toBe(7000);
  });
});

describe('the registry client under 429', () => {
  let fake: FakeServer;
  beforeAll(async () => {
    fake = await startFake((req) =>
      req.url.pathname === '/v2/app/tags/list'
        ? { body: { name: 'app', tags: ['1'] } }
        : { status: 404, body: {} },
    );
  });
  beforeEach(() => fake.reset());
  afterAll(async () => {
    await fake?.close();
  });
  const host = () => fake.origin.replace('http://', '');

  it('waits at least what Retry-After asks, then succeeds', async () => {
    const { sleep, waits } = createRecordingSleep();
    const client = createRegistryClient({ env: {}, sleep });
    fake.failNext({ status: 429, headers: { 'retry-after': '9' } });
    expect(await client.listTags(`${host()}/app`)).toEqual(['1']);
    expect(waits).toEqual([9000]);
    await client.close();
  });

  it('ends 429s that outlast the retries with REGISTRY_RATE_LIMITED after maxRetries + 1 attempts', async () => {
    const { sleep, waits } = createRecordingSleep();
    const client = createRegistryClient({ env: {}, sleep, limits: { maxRetries: 2 } });
    fake.failNext({ status: 429 }, 3);
    const err = await rejectionOf(client.listTags(`${host()}/app`));
    expect(err.code).toBe('REGISTRY_RATE_LIMITED');
    expect(fake.requests.filter((r) => r.url.pathname === '/v2/app/tags/list')).toHaveLength(3);
    expect(waits).toHaveLength(2);
    await client.close();
  });

  it('gives up at once when Retry-After asks more than the cap', async () => {
    const { sleep, waits } = createRecordingSleep();
    const client = createRegistryClient({ env: {}, sleep, maxRetryAfterMs: 5000 });
    fake.failNext({ status: 429, headers: { 'retry-after': '6' } });
    const err = await rejectionOf(client.listTags(`${host()}/app`));
    expect(err.code).toBe('REGISTRY_RATE_LIMITED');
    expect(waits).toEqual([]);
    await client.close();
  });

  it('keeps 5xx exhaustion as REGISTRY_UNAVAILABLE', async () => {
    const { sleep } = createRecordingSleep();
    const client = createRegistryClient({ env: {}, sleep, limits: { maxRetries: 1 } });
    fake.failNext({ status: 503 }, 2);
    expect((await rejectionOf(client.listTags(`${host()}/app`))).code).toBe('REGISTRY_UNAVAILABLE');
    await client.close();
  });
});
