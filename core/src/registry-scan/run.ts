import { randomUUID } from 'node:crypto';
import type { Dispatcher } from 'undici';
import type { ScannerName } from '../analyzers/analyzer.js';
import { createAnalyzers } from '../analyzers/index.js';
import { parseDuration } from '../duration.js';
import { PortcullisError } from '../errors.js';
import { resolvePolicy, toAnalyzerOptions, toEnabledScanners } from '../policy/index.js';
import type { Policy, PolicyRegistry } from '../policy/index.js';
import { createLayerCache, createScanHooks, scanImage, type LayerCache } from '../scan/index.js';
import { createCatalogLister } from '../source/registry/catalog/index.js';
import type {
  CatalogImage,
  CatalogListerOptions,
  RegistrySettings,
} from '../source/registry/catalog/index.js';
import { createRegistryClient, type RegistryClient } from '../source/registry/client.js';
import type { SourceOptions } from '../source/types.js';
import type { VerdictStore } from '../store/verdict-store.js';
import type { ScanResult } from '../types/scan.js';
import { SYSTEM_CLOCK, type TaskClock } from '../tasks/clock.js';
import { runTask, type TaskRegistry } from '../tasks/engine.js';
import { applyRetention } from '../tasks/retention.js';
import {
  emptyProgress,
  type TaskLogEntry,
  type TaskRecord,
  type TaskStore,
  type TaskTrigger,
} from '../tasks/types.js';

/** Everything one registry-scan task needs besides the policy. */
export interface RegistryScanRequest {
  policy: Policy;
  /** `--registry NAME`…: only these (default every registry of the policy). */
  registryNames?: readonly string[];
  /** `--scanners` (default `scan.scanners`, else what the policy enables). */
  scanners?: readonly ScannerName[];
  dbPath?: string;
  tasks: TaskStore;
  verdicts: VerdictStore;
  trigger?: TaskTrigger;
  env?: NodeJS.ProcessEnv;
  /** Every registry request (listing and pulls) goes through it; tests point it at loopback servers. */
  dispatcher?: Dispatcher;
  /** Retry pacing of listers and pulls (tests pass one that does not wait). */
  listerOptions?: Pick<CatalogListerOptions, 'sleep' | 'maxRetries' | 'maxRetryAfterMs' | 'pageSize'>;
  clock?: TaskClock;
  newId?: () => string;
  /** Per-layer reads shared by the task's images (default: a fresh in-memory cache per task; false: none). */
  layerCache?: LayerCache | false;
  signal?: AbortSignal;
  cancelPollMs?: number;
  onEntry?(entry: TaskLogEntry, task: TaskRecord): void;
  /**
   * Scans one listed image instead of pulling it here (the scan service hands it to a queue worker, which may be
   * another replica); everything else (listing, scope, throttle, timeout, log, store) stays the engine's.
   */
  scanImage?(image: CatalogImage & { digest: string }, signal: AbortSignal): Promise<ScanResult>;
}

/** The registries a task covers, in policy order: USAGE_INVALID for an unknown `--registry` or none at all. */
export function selectRegistries(policy: Policy, names: readonly string[] = []): PolicyRegistry[] {
  const all = policy.registries ?? [];
  if (all.length === 0)
    throw new PortcullisError('USAGE_INVALID', 'the policy has no registries: section; nothing to scan');
  const unknown = names.filter((n) => !all.some((r) => r.name === n));
  if (unknown.length > 0)
    throw new PortcullisError(
      'USAGE_INVALID',
      `unknown registry ${unknown.join(', ')}: the policy has ${all.map((r) => r.name).join(', ')}`,
    );
  return names.length === 0 ? all : all.filter((r) => names.includes(r.name));
}

function toScanners(req: Pick<RegistryScanRequest, 'policy' | 'scanners'>): ScannerName[] {
  if (req.scanners) return [...req.scanners];
  if (req.policy.scan?.scanners) return [...req.policy.scan.scanners];
  return toEnabledScanners(resolvePolicy(req.policy)).filter((s): s is ScannerName => s !== 'inventory');
}

/** Creates the task record (queued) in the store; `runRegistryScan` runs it. */
export async function createRegistryScanTask(req: RegistryScanRequest): Promise<TaskRecord> {
  const registries = selectRegistries(req.policy, req.registryNames);
  const scan = req.policy.scan;
  const task: TaskRecord = {
    id: (req.newId ?? randomUUID)(),
    trigger: req.trigger ?? 'manual',
    scope: {
      registries: registries.map((r) => r.name),
      scanners: toScanners(req),
      ...(scan?.timeRange ? { timeRange: scan.timeRange } : {}),
      ...(scan?.timeout ? { timeout: scan.timeout } : {}),
    },
    status: 'queued',
    progress: emptyProgress(),
    createdAt: new Date((req.clock ?? SYSTEM_CLOCK).now()).toISOString(),
  };
  await req.tasks.create(task);
  return task;
}

/** `registry:host/repo@digest`: pulls pinned to the digest the task resolved, whatever the tag says now. */
export function toPinnedInput(reference: string, digest: string): string {
  const repo = reference.replace(/@[a-z0-9]+:[a-f0-9]+$/, '').replace(/:[^/:]+$/, '');
  return `registry:${repo}@${digest}`;
}

/**
 * Runs a created task to its end with the real listers, registry client and scanner, storing every result in
 * the verdict store, then applies `scan.retention`. Resolves to the final record.
 */
export async function runRegistryScan(task: TaskRecord, req: RegistryScanRequest): Promise<TaskRecord> {
  const clock = req.clock ?? SYSTEM_CLOCK;
  const env = req.env ?? process.env;
  const policy = resolvePolicy(req.policy);
  const settings = selectRegistries(req.policy, task.scope.registries) as RegistrySettings[];
  const scanners = new Set(task.scope.scanners as ScannerName[]);
  const analyzers = await createAnalyzers(
    { malware: { hashDbFiles: policy.scanners.malware.hashDbFiles ?? [] } },
    scanners,
  );
  const layerCache = req.layerCache === false ? undefined : (req.layerCache ?? createLayerCache());
  const hooks = createScanHooks({ ...(req.dbPath ? { dbPath: req.dbPath } : {}) });
  const listerOptions: CatalogListerOptions = {
    env,
    ...(req.dispatcher ? { dispatcher: req.dispatcher } : {}),
    ...req.listerOptions,
  };
  const opened = settings.map((s) => {
    const lister = createCatalogLister(s, listerOptions);
    // Pull options come from the lister, asked per image: credentials are read lazily (an unset variable
    // fails that registry's images with a cause, not the task) and a temporary login (ACR) is renewed there.
    // The client for digest lookups follows the options: a renewed login gets a new client.
    let client: RegistryClient | undefined;
    let clientFor: SourceOptions | undefined;
    const registryClient = async (): Promise<RegistryClient> => {
      const options = await lister.resolvePullOptions();
      if (!client || clientFor !== options) {
        await client?.close();
        client = createRegistryClient(options);
        clientFor = options;
      }
      return client;
    };
    return {
      s,
      lister,
      sourceOptions: () => lister.resolvePullOptions(),
      registryClient,
      close: async () => client?.close(),
    };
  });
  const byName = new Map(opened.map((o) => [o.s.name, o]));
  const registries: TaskRegistry[] = opened.map((o) => ({ settings: o.s, lister: o.lister }));
  const scan = req.policy.scan;
  try {
    const done = await runTask({
      task,
      registries,
      ...(scan?.timeRange
        ? { timeRange: { ms: parseDuration(scan.timeRange, 'POLICY_INVALID'), text: scan.timeRange } }
        : {}),
      ...(scan?.timeout
        ? { timeout: { ms: parseDuration(scan.timeout, 'POLICY_INVALID'), text: scan.timeout } }
        : {}),
      resolveDigest: async (image) => {
        const o = byName.get(image.registry) as (typeof opened)[number];
        return (await o.registryClient()).resolveDigest(image.reference);
      },
      scanImage: async (image, signal) => {
        if (req.scanImage) return req.scanImage(image, signal);
        const o = byName.get(image.registry) as (typeof opened)[number];
        return scanImage(toPinnedInput(image.reference, image.digest), {
          scanners,
          analyzers,
          hooks,
          analyzerOptions: { ...toAnalyzerOptions(policy) },
          source: await o.sourceOptions(),
          ...(layerCache ? { layerCache } : {}),
          now: () => new Date(clock.now()),
        });
      },
      store: req.tasks,
      verdictStore: req.verdicts,
      clock,
      ...(req.signal ? { signal: req.signal } : {}),
      ...(req.cancelPollMs !== undefined ? { cancelPollMs: req.cancelPollMs } : {}),
      ...(req.onEntry ? { onEntry: req.onEntry } : {}),
    });
    const retention = scan?.retention;
    if (retention)
      await applyRetention(
        {
          ...(retention.tasks ? { tasksMs: parseDuration(retention.tasks, 'POLICY_INVALID') } : {}),
          ...(retention.vulnerabilities
            ? { vulnerabilitiesMs: parseDuration(retention.vulnerabilities, 'POLICY_INVALID') }
            : {}),
        },
        { tasks: req.tasks, verdicts: req.verdicts },
        clock.now(),
      );
    return done;
  } finally {
    await Promise.all(opened.flatMap((o) => [o.close(), o.lister.close()]));
  }
}
