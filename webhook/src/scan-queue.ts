import { PortcullisError } from '../../core/src/index.js';
import type { ScanResult } from '../../core/src/index.js';
import type { StoredScan, VerdictStore } from './store/index.js';

/** Scans one image; the integrator wires core's scan (by reference pinned to the digest). */
export type ScanImageFn = (ref: string, digest: string) => Promise<ScanResult>;

export interface ScanQueueOptions {
  scanImage: ScanImageFn;
  store: VerdictStore;
  /** Scans running at once. */
  concurrency: number;
  /** Waiting scans beyond this are refused (bounded memory). */
  maxQueued: number;
  /** Called on every depth change (queue-depth metric). */
  onDepth?: (waiting: number, running: number) => void;
  onResult?: (digest: string, outcome: 'stored' | 'failed', err?: unknown) => void;
  now?: () => Date;
}

/** Background scanning: a bounded worker pool; requests for a digest already queued or running share one scan. */
export interface ScanQueue {
  /**
   * Queues a scan (or joins the one in flight) and resolves with the stored result. Throws
   * WEBHOOK_SCAN_QUEUE_FULL at once when the queue is full or closed.
   */
  enqueue(ref: string, digest: string): Promise<StoredScan>;
  /** True when the digest is queued or being scanned. */
  has(digest: string): boolean;
  depth(): { waiting: number; running: number };
  /** Resolves when nothing is queued or running. */
  idle(): Promise<void>;
  /** Stops taking work; waiting scans are rejected, running ones finish. */
  close(): Promise<void>;
}

interface Job {
  ref: string;
  digest: string;
  promise: Promise<StoredScan>;
  resolve: (s: StoredScan) => void;
  reject: (e: unknown) => void;
}

export function createScanQueue(opts: ScanQueueOptions): ScanQueue {
  const now = opts.now ?? (() => new Date());
  const jobs = new Map<string, Job>();
  const waiting: Job[] = [];
  let running = 0;
  let closed = false;
  let idleWaiters: (() => void)[] = [];

  const report = (): void => {
    opts.onDepth?.(waiting.length, running);
    if (waiting.length === 0 && running === 0) {
      const w = idleWaiters;
      idleWaiters = [];
      w.forEach((f) => f());
    }
  };

  const run = async (job: Job): Promise<void> => {
    try {
      const scan = await opts.scanImage(job.ref, job.digest);
      const entry: StoredScan = {
        digest: job.digest,
        scan: { ...scan, image: { ...scan.image, digest: scan.image.digest ?? job.digest } },
        scannedAt: scan.scannedAt,
        storedAt: now().toISOString(),
        origin: 'scanner',
      };
      await opts.store.put(entry);
      opts.onResult?.(job.digest, 'stored');
      job.resolve(entry);
    } catch (err) {
      opts.onResult?.(job.digest, 'failed', err);
      job.reject(err);
    } finally {
      jobs.delete(job.digest);
      running--;
      pump();
    }
  };

  const pump = (): void => {
    while (running < opts.concurrency && waiting.length > 0) {
      const job = waiting.shift() as Job;
      running++;
      void run(job);
    }
    report();
  };

  return {
    enqueue(ref, digest) {
      const existing = jobs.get(digest);
      if (existing) return existing.promise;
      if (closed) throw new PortcullisError('WEBHOOK_SCAN_QUEUE_FULL', 'scan queue is closed');
      if (waiting.length >= opts.maxQueued)
        throw new PortcullisError(
          'WEBHOOK_SCAN_QUEUE_FULL',
          `scan queue is full (${opts.maxQueued} waiting)`,
        );
      let resolve!: (s: StoredScan) => void;
      let reject!: (e: unknown) => void;
      const promise = new Promise<StoredScan>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      // Callers that do not wait (deny / allow-and-scan) must not cause unhandled rejections.
      promise.catch(() => {});
      const job: Job = { ref, digest, promise, resolve, reject };
      jobs.set(digest, job);
      waiting.push(job);
      pump();
      return promise;
    },
    has: (digest) => jobs.has(digest),
    depth: () => ({ waiting: waiting.length, running }),
    idle() {
      if (waiting.length === 0 && running === 0) return Promise.resolve();
      return new Promise((res) => idleWaiters.push(res));
    },
    async close() {
      closed = true;
      for (const job of waiting.splice(0)) {
        jobs.delete(job.digest);
        job.reject(new PortcullisError('WEBHOOK_SCAN_QUEUE_FULL', 'scan queue closed'));
      }
      report();
      await this.idle();
    },
  };
}
