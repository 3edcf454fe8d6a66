/**
 * An open-loop load generator for latency at a fixed rate (the wrk2 / vegeta way): requests are sent on a
 * schedule, `rate` per second spread evenly (checked every millisecond), whether or not earlier answers
 * have come back, and each latency is measured from the moment the request was *due*, not from when a
 * free connection sent it. A closed-loop generator (autocannon's `overallRate` fires each connection's
 * share at the start of every second, then waits) measures its own bursts and hides queueing delays
 * ("coordinated omission"); this one does neither.
 */
import { Pool } from 'undici';

/** Latency quantiles (ms) of a set of latencies. */
export function latencySummary(latencies: Float64Array): {
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
} {
  const sorted = latencies.slice().sort();
  return {
    p50Ms: round(quantile(sorted, 0.5)),
    p90Ms: round(quantile(sorted, 0.9)),
    p99Ms: round(quantile(sorted, 0.99)),
    maxMs: round(sorted[sorted.length - 1] ?? NaN),
  };
}

export interface PacedResult {
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  reqPerSec: number;
  total: number;
  errors: number;
  non2xx: number;
  /** Every request's latency (ms), in the order they were due: to pool several runs. */
  latenciesMs: Float64Array;
}

function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

const round = (ms: number): number => Math.round(ms * 100) / 100;

export async function pacedLoad(opts: {
  origin: string;
  path: string;
  body: string;
  rate: number;
  seconds: number;
  connections: number;
  /**
   * Check the schedule on every event-loop turn (setImmediate) instead of every millisecond: requests leave
   * within microseconds of being due, so the timer's 1 ms granularity is not measured as latency (with the
   * timer, a bare TLS server shows ~1 ms p50 instead of ~0.2 ms). Keeps one CPU busy: only when the
   * generator has a CPU of its own.
   */
  spin?: boolean;
}): Promise<PacedResult> {
  const pool = new Pool(opts.origin, {
    connections: opts.connections,
    connect: { rejectUnauthorized: false }, // the bench's own throw-away certificate on loopback
  });
  /** One POST of the body, read to the end; resolves to the status code. */
  const post = async (): Promise<number> => {
    const res = await pool.request({
      path: opts.path,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: opts.body,
    });
    await res.body.arrayBuffer();
    return res.statusCode;
  };
  // open every connection (TLS handshakes) and warm both ends before the clock starts
  for (let round = 0; round < 20; round++) await Promise.all(Array.from({ length: opts.connections }, post));
  const total = Math.round(opts.rate * opts.seconds);
  const latencies = new Float64Array(total);
  let done = 0;
  let errors = 0;
  let non2xx = 0;
  let sent = 0;
  const start = performance.now();
  const one = async (i: number, due: number): Promise<void> => {
    try {
      const status = await post();
      if (status < 200 || status >= 300) non2xx++;
    } catch {
      errors++;
    }
    latencies[i] = performance.now() - due;
    done++;
  };
  const pending: Promise<void>[] = [];
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const now = performance.now();
      // every request due by now is sent now (a late timer sends a small batch; its latency counts from due)
      const dueCount = Math.min(total, Math.floor(((now - start) / 1000) * opts.rate) + 1);
      for (; sent < dueCount; sent++) pending.push(one(sent, start + (sent / opts.rate) * 1000));
      if (sent >= total) resolve();
      else if (opts.spin) setImmediate(tick);
      else setTimeout(tick, 1);
    };
    tick();
  });
  await Promise.all(pending);
  const elapsed = (performance.now() - start) / 1000;
  await pool.close();
  const measured = latencies.slice(0, done);
  return {
    ...latencySummary(measured),
    reqPerSec: Math.round(done / elapsed),
    total: done,
    errors,
    non2xx,
    latenciesMs: measured,
  };
}
