import { describe, expect, it } from 'vitest';
import type { ScanResult } from '../../core/src/types/index.js';
import { createMemoryStore, createScanQueue, createWebhookMetrics } from '../../webhook/src/index.js';
import { readScan } from './helpers.js';

/** A controllable fake scanner: each call waits until released. Only for queue behaviour. */
function fakeScanner() {
  const calls: string[] = [];
  const pending = new Map<string, () => void>();
  let running = 0;
  let maxRunning = 0;
  const scan = async (_ref: string, digest: string): Promise<ScanResult> => {
    calls.push(digest);
    running++;
    maxRunning = Math.max(maxRunning, running);
    await new Promise<void>((res) => pending.set(digest, res));
    running--;
    if (digest.endsWith('bad')) throw new Error('pull failed');
    return { ...readScan('min'), image: { ...readScan('min').image, digest } };
  };
  const release = async (digest: string): Promise<void> => {
    for (let i = 0; i < 100 && !pending.has(digest); i++) await new Promise((r) => setTimeout(r, 5));
    const f = pending.get(digest);
    if (!f) throw new Error(`${digest} is not running`);
    pending.delete(digest);
    f();
  };
  return { scan, calls, release, maxRunning: () => maxRunning };
}

describe('scan queue', () => {
  it('coalesces requests for the same digest into one scan', async () => {
    const f = fakeScanner();
    const store = createMemoryStore();
    const q = createScanQueue({ scanImage: f.scan, store, concurrency: 2, maxQueued: 10 });
    const a = q.enqueue('img@d1', 'd1');
    const b = q.enqueue('img:tag', 'd1');
    expect(q.has('d1')).toBe(true);
    expect(q.depth()).toEqual({ waiting: 0, running: 1 });
    await f.release('d1');
    const [ra, rb] = await Promise.all([a, b]);
    expect(ra).toEqual(rb);
    expect(f.calls).toEqual(['d1']);
    expect((await store.get('d1'))?.origin).toBe('scanner');
    expect(q.has('d1')).toBe(false);
  });

  it('runs at most `concurrency` scans, queues the rest and reports the depth', async () => {
    const f = fakeScanner();
    const metrics = createWebhookMetrics();
    const q = createScanQueue({
      scanImage: f.scan,
      store: createMemoryStore(),
      concurrency: 2,
      maxQueued: 10,
      onDepth: (w, r) => {
        metrics.queueDepth.set({ state: 'waiting' }, w);
        metrics.queueDepth.set({ state: 'running' }, r);
      },
    });
    const all = ['d1', 'd2', 'd3', 'd4', 'd5'].map((d) => q.enqueue(`img@${d}`, d));
    expect(q.depth()).toEqual({ waiting: 3, running: 2 });
    const text = await metrics.registry.metrics();
    expect(text).toContain('portcullis_scan_queue_depth{state="waiting"} 3');
    expect(text).toContain('portcullis_scan_queue_depth{state="running"} 2');
    for (const d of ['d1', 'd2', 'd3', 'd4', 'd5']) await f.release(d);
    await Promise.all(all);
    await q.idle();
    expect(f.maxRunning()).toBe(2);
    expect(q.depth()).toEqual({ waiting: 0, running: 0 });
  });

  it('refuses work beyond maxQueued at once, with a stable code', async () => {
    const f = fakeScanner();
    const q = createScanQueue({
      scanImage: f.scan,
      store: createMemoryStore(),
      concurrency: 1,
      maxQueued: 1,
    });
    const first = q.enqueue('a', 'd1');
    const second = q.enqueue('b', 'd2');
    expect(() => q.enqueue('c', 'd3')).toThrow(expect.objectContaining({ code: 'WEBHOOK_SCAN_QUEUE_FULL' }));
    // Joining a queued digest is not new work.
    expect(q.enqueue('b', 'd2')).toBe(second);
    await f.release('d1');
    await f.release('d2');
    await Promise.all([first, second]);
  });

  it('rejects the waiters of a failed scan and keeps going', async () => {
    const f = fakeScanner();
    const outcomes: string[] = [];
    const q = createScanQueue({
      scanImage: f.scan,
      store: createMemoryStore(),
      concurrency: 1,
      maxQueued: 5,
      onResult: (d, o) => outcomes.push(`${d}:${o}`),
    });
    const bad = q.enqueue('x', 'dbad');
    const good = q.enqueue('y', 'dgood');
    await f.release('dbad');
    await expect(bad).rejects.toThrow('pull failed');
    await f.release('dgood');
    await expect(good).resolves.toMatchObject({ digest: 'dgood' });
    expect(outcomes).toEqual(['dbad:failed', 'dgood:stored']);
  });

  it('close() rejects waiting scans and lets running ones finish', async () => {
    const f = fakeScanner();
    const q = createScanQueue({
      scanImage: f.scan,
      store: createMemoryStore(),
      concurrency: 1,
      maxQueued: 5,
    });
    const running = q.enqueue('a', 'd1');
    const waiting = q.enqueue('b', 'd2');
    const closing = q.close();
    await expect(waiting).rejects.toMatchObject({ code: 'WEBHOOK_SCAN_QUEUE_FULL' });
    await f.release('d1');
    await closing;
    await expect(running).resolves.toMatchObject({ digest: 'd1' });
    expect(() => q.enqueue('c', 'd3')).toThrow(/closed/);
  });
});
