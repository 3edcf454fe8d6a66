import { randomUUID } from 'node:crypto';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import {
  emptyProgress,
  PortcullisError,
  type ScanResult,
  type TaskLogEntry,
  type TaskRecord,
  type TaskStore,
  type VerdictStore,
} from '../../core/src/index.js';

/** One running image, by digest, and where it runs. */
export interface RuntimeImage {
  /** `host/repo@sha256:…`, as pulled. */
  reference: string;
  digest: string;
  usedBy: string[];
}

/** Pod listing as the runtime scan needs it (a page at a time, following `continue`). */
export type PodLister = (cont: string | undefined) => Promise<{
  items: {
    metadata?: { name?: string; namespace?: string };
    status?: { containerStatuses?: { imageID?: string }[]; initContainerStatuses?: { imageID?: string }[] };
  }[];
  continue?: string;
}>;

/** Lists pods with `@kubernetes/client-node`: the kubeconfig given, else the in-cluster service account. */
export function createPodLister(opts: { kubeconfig?: string; pageSize?: number } = {}): PodLister {
  const kc = new KubeConfig();
  if (opts.kubeconfig) kc.loadFromFile(opts.kubeconfig);
  else kc.loadFromCluster();
  const api = kc.makeApiClient(CoreV1Api);
  return async (cont) => {
    const list = await api.listPodForAllNamespaces({
      limit: opts.pageSize ?? 500,
      ...(cont ? { _continue: cont } : {}),
    });
    return { items: list.items, ...(list.metadata?._continue ? { continue: list.metadata._continue } : {}) };
  };
}

/** `docker-pullable://host/repo@sha256:…` (or without the scheme) → reference and digest; undefined otherwise. */
export function parseImageId(imageId: string): { reference: string; digest: string } | undefined {
  const bare = imageId.replace(/^[a-z-]+:\/\//, '');
  const m = /^(.+)@(sha256:[a-f0-9]{64})$/.exec(bare);
  return m ? { reference: bare, digest: m[2] as string } : undefined;
}

/** Every running image by digest, with the pods using it, across every page of the pod list. */
export async function listRuntimeImages(list: PodLister): Promise<RuntimeImage[]> {
  const byDigest = new Map<string, RuntimeImage>();
  let cont: string | undefined;
  for (let page = 0; page < 10_000; page++) {
    const res = await list(cont);
    for (const pod of res.items) {
      const where = `${pod.metadata?.namespace ?? 'default'}/${pod.metadata?.name ?? '?'}`;
      for (const c of [
        ...(pod.status?.initContainerStatuses ?? []),
        ...(pod.status?.containerStatuses ?? []),
      ]) {
        const id = c.imageID ? parseImageId(c.imageID) : undefined;
        if (!id) continue;
        const img = byDigest.get(id.digest) ?? { ...id, usedBy: [] };
        if (!img.usedBy.includes(where)) img.usedBy.push(where);
        byDigest.set(id.digest, img);
      }
    }
    cont = res.continue;
    if (!cont) return [...byDigest.values()];
  }
  throw new PortcullisError('SERVICE_CONFIG_INVALID', 'pod list did not end after 10000 pages');
}

/**
 * The runtime image scan (the seed's "container" scan): running images with no result younger than `freshMs` are
 * scanned; every image gets a log entry naming the pods that run it. Resolves to the final task record.
 */
export async function runRuntimeScan(opts: {
  list: PodLister;
  tasks: TaskStore;
  verdicts: VerdictStore;
  scan(reference: string, digest: string): Promise<ScanResult>;
  freshMs: number;
  now?: () => Date;
  scanners: string[];
  /** The task id (default a new UUID): the API answers with it before the scan ends. */
  id?: string;
}): Promise<TaskRecord> {
  const now = opts.now ?? (() => new Date());
  const task: TaskRecord = {
    id: opts.id ?? randomUUID(),
    trigger: 'runtime',
    scope: { registries: [], scanners: opts.scanners },
    status: 'running',
    progress: emptyProgress(),
    createdAt: now().toISOString(),
    startedAt: now().toISOString(),
  };
  await opts.tasks.create(task);
  const log = async (e: Omit<TaskLogEntry, 'at'>): Promise<void> => {
    await opts.tasks.appendLog(task.id, { ...e, at: now().toISOString() });
  };
  try {
    const images = await listRuntimeImages(opts.list);
    task.progress.inScope = images.length;
    for (const img of images) {
      const t0 = Date.now();
      const stored = await opts.verdicts.get(img.digest);
      const base = { reference: img.reference, digest: img.digest, registry: 'runtime', usedBy: img.usedBy };
      if (stored && now().getTime() - Date.parse(stored.scannedAt) < opts.freshMs) {
        task.progress.skipped++;
        await log({
          ...base,
          outcome: 'skipped',
          cause: `fresh result from ${stored.scannedAt}`,
          durationMs: 0,
        });
        continue;
      }
      try {
        const scan = await opts.scan(img.reference, img.digest);
        const at = now().toISOString();
        await opts.verdicts.put({
          digest: img.digest,
          scan,
          scannedAt: scan.scannedAt,
          storedAt: at,
          origin: 'scanner',
        });
        task.progress.scanned++;
        await log({ ...base, outcome: 'scanned', durationMs: Date.now() - t0 });
      } catch (err) {
        task.progress.failed++;
        await log({ ...base, outcome: 'failed', cause: (err as Error).message, durationMs: Date.now() - t0 });
      }
      await opts.tasks.update(task);
    }
    const p = task.progress;
    task.status = p.failed > 0 ? (p.scanned > 0 ? 'partial' : 'failed') : 'succeeded';
  } catch (err) {
    task.status = 'failed';
    task.error = `listing pods failed: ${(err as Error).message}`;
  }
  task.finishedAt = now().toISOString();
  await opts.tasks.update(task);
  return task;
}
