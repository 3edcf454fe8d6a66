import type { TaskLogEntry, TaskRecord, TaskStore } from '../tasks/types.js';

/** In-process task store for tests. Records are cloned, as a real store would serialise them. */
export function createMemoryTaskStore(): TaskStore {
  const tasks = new Map<string, TaskRecord>();
  const logs = new Map<string, TaskLogEntry[]>();
  const known = new Map<string, Set<string>>();
  const clone = <T>(v: T): T => structuredClone(v);
  return {
    kind: 'memory',
    async create(task) {
      tasks.set(task.id, clone(task));
      logs.set(task.id, []);
    },
    async update(task) {
      const prev = tasks.get(task.id);
      tasks.set(task.id, { ...clone(task), ...(prev?.cancelRequested ? { cancelRequested: true } : {}) });
    },
    async get(id) {
      const t = tasks.get(id);
      return t && clone(t);
    },
    async list(opts = {}) {
      const all = [...tasks.values()].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
      return clone(all.slice(0, opts.limit ?? all.length));
    },
    async requestCancel(id) {
      const t = tasks.get(id);
      if (!t || (t.status !== 'queued' && t.status !== 'running')) return false;
      t.cancelRequested = true;
      return true;
    },
    async appendLog(id, entry) {
      logs.get(id)?.push(clone(entry));
    },
    async readLog(id) {
      return clone(logs.get(id) ?? []);
    },
    async knownRepositories(registry) {
      const s = known.get(registry);
      return s && new Set(s);
    },
    async addKnownRepositories(registry, repositories) {
      const s = known.get(registry) ?? new Set<string>();
      for (const r of repositories) s.add(r);
      known.set(registry, s);
    },
    async deleteTasksBefore(cutoff) {
      let n = 0;
      for (const [id, t] of tasks)
        if (t.createdAt < cutoff) {
          tasks.delete(id);
          logs.delete(id);
          n++;
        }
      return n;
    },
    async close() {},
  };
}
