/**
 * The failures every catalog API answers the same way, as one table per lister: refused credentials, a
 * scripted 403, a 429 with `Retry-After` then success, endless 429s, and a malformed body. Each lister's test file gives its own
 * replies (shaped like that API's error bodies), listing and expectations; the cases and assertions live here
 * once, so a fix to what "the same way" means is made in one place.
 */
import { expect, it } from 'vitest';
import {
  collect,
  createRecordingSleep,
  rejectionOf,
  type FakeReply,
  type FakeRequest,
  type FakeServer,
} from './fake-server.js';

/** What a case passes to the listing: other credentials, the recording sleep, the retry bound. */
export interface ListExtras {
  env?: NodeJS.ProcessEnv;
  sleep?: (ms: number) => Promise<void>;
  maxRetries?: number;
}

type Listing = (extras: ListExtras) => AsyncIterable<unknown>;

export interface ScriptedFailureTable {
  fake: () => FakeServer;
  /** The listing the cases run (with working credentials) unless a case names its own. */
  list: Listing;
  /**
   * Credentials the API refuses (`env`): REGISTRY_AUTH_FAILED naming every `mentions` (the registry, the
   * credential env vars) and never the `secret` itself.
   */
  wrongCredentials?: { env: NodeJS.ProcessEnv; secret: string; mentions: string[] };
  /** A 403 reply: the lister answers REGISTRY_AUTH_FAILED (its message naming `mentions`). */
  forbidden?: { reply: FakeReply; mentions?: string };
  /** One 429 with `Retry-After`: the lister waits `waitMs`, asks again and yields `expected` (or that many). */
  retryAfter: {
    reply: FakeReply;
    waitMs: number;
    expected: () => unknown[] | number;
    list?: Listing;
    /** How many requests the whole listing makes, the retried one included. */
    requests?: number;
    /** Further checks on the recorded requests (a fresh signature per retry…). */
    check?: (requests: FakeRequest[]) => void;
  };
  /** `times` 429s in a row: the lister gives up with REGISTRY_RATE_LIMITED after `maxRetries` retries. */
  rateLimited: {
    reply: FakeReply;
    times: number;
    maxRetries: number;
    list?: Listing;
    requests?: number;
    waits?: number[];
    mentions?: string;
  };
  /** A 200 whose body is not what the API sends: REGISTRY_API_ERROR (naming `mentions`). */
  malformed: { body: string; mentions?: string };
}

/** Registers the table's cases as tests in the enclosing `describe`. */
export function testScriptedFailures(table: ScriptedFailureTable): void {
  const { wrongCredentials, forbidden, retryAfter, rateLimited, malformed } = table;

  if (wrongCredentials)
    it('answers wrong credentials with REGISTRY_AUTH_FAILED naming the env vars, never the secret', async () => {
      const err = await rejectionOf(collect(table.list({ env: wrongCredentials.env })));
      expect(err.code).toBe('REGISTRY_AUTH_FAILED');
      for (const m of wrongCredentials.mentions) expect(err.message).toContain(m);
      expect(err.message).not.toContain(wrongCredentials.secret);
    });

  if (forbidden)
    it('answers a 403 with REGISTRY_AUTH_FAILED', async () => {
      table.fake().failNext(forbidden.reply);
      const err = await rejectionOf(collect(table.list({})));
      expect(err.code).toBe('REGISTRY_AUTH_FAILED');
      if (forbidden.mentions) expect(err.message).toContain(forbidden.mentions);
    });

  it('waits what Retry-After asks after a 429, then succeeds', async () => {
    const { sleep, waits } = createRecordingSleep();
    table.fake().failNext(retryAfter.reply);
    const items = await collect((retryAfter.list ?? table.list)({ sleep }));
    const expected = retryAfter.expected();
    if (typeof expected === 'number') expect(items).toHaveLength(expected);
    else expect(items).toEqual(expected);
    expect(waits).toEqual([retryAfter.waitMs]);
    if (retryAfter.requests !== undefined) expect(table.fake().requests).toHaveLength(retryAfter.requests);
    retryAfter.check?.(table.fake().requests);
  });

  it('gives up on endless 429s with REGISTRY_RATE_LIMITED', async () => {
    const { sleep, waits } = createRecordingSleep();
    table.fake().failNext(rateLimited.reply, rateLimited.times);
    const list = rateLimited.list ?? table.list;
    const err = await rejectionOf(collect(list({ sleep, maxRetries: rateLimited.maxRetries })));
    expect(err.code).toBe('REGISTRY_RATE_LIMITED');
    if (rateLimited.mentions) expect(err.message).toContain(rateLimited.mentions);
    if (rateLimited.requests !== undefined) expect(table.fake().requests).toHaveLength(rateLimited.requests);
    if (rateLimited.waits) expect(waits).toEqual(rateLimited.waits);
  });

  it('reports a malformed body as REGISTRY_API_ERROR', async () => {
    table.fake().failNext({ status: 200, body: malformed.body });
    const err = await rejectionOf(collect(table.list({})));
    expect(err.code).toBe('REGISTRY_API_ERROR');
    if (malformed.mentions) expect(err.message).toContain(malformed.mentions);
  });
}
