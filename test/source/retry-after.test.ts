// Issue 11 item 12: a registry's `429` with `Retry-After` is honoured (bounded), not retried after 0.1 s and
// 0.2 s. The waits are recorded by an injected sleep: no test waits for real.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTransport, toRetryDelayMs } from '../../core/src/source/registry/http.js';
import { DEFAULT_LIMITS } from '../../core/src/source/types.js';

describe('Retry-After on 429/503', () => {
  let server: Server;
  let base = '';
  /** Answers queued per request: status and Retry-After. */
  let answers: { status: number; retryAfter?: string }[] = [];
  let hits = 0;

  beforeAll(async () => {
    server = createServer((_req, res) => {
      hits++;
      const a = answers.shift() ?? { status: 200 };
      res.writeHead(a.status, a.retryAfter !== undefined ? { 'retry-after': a.retryAfter } : {});
      res.end(a.status === 200 ? '{}' : '{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => new Promise<void>((r) => server.close(() => r())));

  async function get(opts: { maxRetryAfterMs?: number } = {}): Promise<{ status: number; waits: number[] }> {
    const waits: number[] = [];
    hits = 0;
    const t = createTransport({
      limits: DEFAULT_LIMITS,
      sleep: async (ms) => waits.push(ms),
      now: () => Date.parse('2026-12-06T12:00:00Z'),
      ...opts,
    });
    try {
      const res = await t.send(new URL(`${base}/v2/`), { method: 'GET' });
      await res.body.dump();
      return { status: res.statusCode, waits };
    } finally {
      await t.close();
    }
  }

  it('waits the seconds a 429 asks for before retrying', async () => {
    answers = [{ status: 429, retryAfter: '3' }, { status: 200 }];
    expect(await get()).toEqual({ status: 200, waits: [3000] });
    expect(hits).toBe(2);
  });

  it('reads an HTTP-date Retry-After (503) against the clock', async () => {
    answers = [{ status: 503, retryAfter: 'Sun, 06 Dec 2026 12:00:05 GMT' }, { status: 200 }];
    expect((await get()).waits).toEqual([5000]);
  });

  it('bounds a long Retry-After (configurable), and keeps the backoff without one', async () => {
    answers = [{ status: 429, retryAfter: '3600' }, { status: 200 }];
    expect((await get()).waits).toEqual([60_000]);
    answers = [{ status: 429, retryAfter: '3600' }, { status: 200 }];
    expect((await get({ maxRetryAfterMs: 10_000 })).waits).toEqual([10_000]);
    answers = [{ status: 429 }, { status: 500 }, { status: 200 }];
    expect((await get()).waits).toEqual([100, 200]);
  });

  it('ignores a malformed value and never waits less than the backoff', () => {
    const o = { now: 0, maxMs: 60_000 };
    expect(toRetryDelayMs(1, 'soon', o)).toBe(100);
    expect(toRetryDelayMs(3, '0', o)).toBe(400);
    expect(toRetryDelayMs(1, ' 7 ', o)).toBe(7000);
  });
});
