import type { Severity } from '../types/finding.js';

/** What started a task. */
export type TaskTrigger = 'manual' | 'schedule' | 'runtime';

/** A task's life: queued → running → one of the final states. */
export type TaskStatus =
  'queued' | 'running' | 'succeeded' | 'partial' | 'failed' | 'timed-out' | 'cancelled';

export const FINAL_STATUSES: readonly TaskStatus[] = [
  'succeeded',
  'partial',
  'failed',
  'timed-out',
  'cancelled',
];

/** Progress counts; `inScope` = skipped + scanned + failed + notScanned once the task ends. */
export interface TaskProgress {
  inScope: number;
  scanned: number;
  /** Outside the time range. */
  skipped: number;
  failed: number;
  /** Left when the task timed out or was cancelled. */
  notScanned: number;
}

export type ImageOutcome = 'scanned' | 'failed' | 'skipped' | 'not-scanned';

/** Findings by severity. */
export type SeverityCounts = Record<Severity, number>;

/** One entry of a task's per-image execution log. */
export interface TaskLogEntry {
  reference: string;
  digest?: string;
  /** Settings name of the registry the image came from. */
  registry: string;
  outcome: ImageOutcome;
  /** Why it failed, was skipped or not scanned, in words a user can act on. */
  cause?: string;
  /** Error code behind `cause` (REGISTRY_UNAUTHORIZED, …), for scripts. */
  code?: string;
  durationMs: number;
  findings?: SeverityCounts;
  /** Runtime scans: the workloads running this image (`namespace/pod`). */
  usedBy?: string[];
  /** When this entry was recorded (RFC 3339). */
  at: string;
}

/** What a task scans: the registries (settings names) and scanners it was started with. */
export interface TaskScope {
  registries: string[];
  scanners: string[];
  /** `scan.timeRange` as written (`7d`), when set. */
  timeRange?: string;
  /** `scan.timeout` as written (`4h`), when set. */
  timeout?: string;
}

export interface TaskRecord {
  id: string;
  trigger: TaskTrigger;
  scope: TaskScope;
  status: TaskStatus;
  progress: TaskProgress;
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
  /** Set by `tasks cancel`; the running engine sees it and stops. */
  cancelRequested?: boolean;
  /** Why the task failed as a whole (every registry unreachable, …). */
  error?: string;
}

/**
 * Where tasks, their logs and the repositories each registry had at its first task live. Implementations:
 * memory (tests), SQLite (embedded default), Redis. Every method may reject (store down).
 */
export interface TaskStore {
  readonly kind: 'memory' | 'sqlite' | 'redis';
  create(task: TaskRecord): Promise<void>;
  /** Replaces the record, keeping a cancel request made meanwhile. */
  update(task: TaskRecord): Promise<void>;
  get(id: string): Promise<TaskRecord | undefined>;
  /** Newest first. */
  list(opts?: { limit?: number }): Promise<TaskRecord[]>;
  /** Marks the task for cancellation; false when it does not exist or has ended. */
  requestCancel(id: string): Promise<boolean>;
  appendLog(id: string, entry: TaskLogEntry): Promise<void>;
  /** Log entries in the order they were recorded. */
  readLog(id: string): Promise<TaskLogEntry[]>;
  /** Repositories recorded for `registry` (undefined before its first task). */
  knownRepositories(registry: string): Promise<Set<string> | undefined>;
  addKnownRepositories(registry: string, repositories: readonly string[]): Promise<void>;
  /** Deletes tasks (and their logs) created before `cutoff`; resolves to how many. */
  deleteTasksBefore(cutoff: string): Promise<number>;
  close(): Promise<void>;
}

export function emptyProgress(): TaskProgress {
  return { inScope: 0, scanned: 0, skipped: 0, failed: 0, notScanned: 0 };
}
