import Database from 'better-sqlite3';
import { wrapError } from '../errors.js';
import type { TaskLogEntry, TaskRecord, TaskStore } from '../tasks/types.js';

/**
 * Tasks in SQLite: the same file as the verdict store by default (its own tables), so one `--store` names both.
 * The record is kept as JSON beside the columns queries need.
 */
export function createSqliteTaskStore(path: string): TaskStore {
  let db: Database.Database;
  try {
    db = new Database(path);
    db.pragma('journal_mode = WAL');
    db.pragma('busy_timeout = 2000');
    db.exec(`CREATE TABLE IF NOT EXISTS tasks (id TEXT PRIMARY KEY, created_at TEXT NOT NULL,
               cancel_requested INTEGER NOT NULL DEFAULT 0, body TEXT NOT NULL);
             CREATE TABLE IF NOT EXISTS task_log (task_id TEXT NOT NULL, seq INTEGER PRIMARY KEY AUTOINCREMENT,
               body TEXT NOT NULL);
             CREATE INDEX IF NOT EXISTS task_log_task ON task_log (task_id, seq);
             CREATE TABLE IF NOT EXISTS known_repositories (registry TEXT NOT NULL, repository TEXT NOT NULL,
               PRIMARY KEY (registry, repository));
             CREATE TABLE IF NOT EXISTS known_registries (registry TEXT PRIMARY KEY);`);
  } catch (err) {
    throw wrapError(err, `opening task store ${path}`, 'STORE_UNAVAILABLE');
  }
  const guard = <T>(what: string, fn: () => T): T => {
    try {
      return fn();
    } catch (err) {
      throw wrapError(err, `task store (sqlite) ${what}`, 'STORE_UNAVAILABLE');
    }
  };
  const toTask = (row: { body: string; cancel_requested: number }): TaskRecord => {
    const t = JSON.parse(row.body) as TaskRecord;
    return row.cancel_requested ? { ...t, cancelRequested: true } : t;
  };
  const insert = db.prepare('INSERT INTO tasks (id, created_at, cancel_requested, body) VALUES (?, ?, ?, ?)');
  const replace = db.prepare('UPDATE tasks SET body = ? WHERE id = ?');
  const getOne = db.prepare<[string], { body: string; cancel_requested: number }>(
    'SELECT body, cancel_requested FROM tasks WHERE id = ?',
  );
  const listAll = db.prepare<[number], { body: string; cancel_requested: number }>(
    'SELECT body, cancel_requested FROM tasks ORDER BY created_at DESC, id DESC LIMIT ?',
  );
  const cancel = db.prepare(
    "UPDATE tasks SET cancel_requested = 1 WHERE id = ? AND json_extract(body, '$.status') IN ('queued', 'running')",
  );
  const append = db.prepare('INSERT INTO task_log (task_id, body) VALUES (?, ?)');
  const readLog = db.prepare<[string], { body: string }>(
    'SELECT body FROM task_log WHERE task_id = ? ORDER BY seq',
  );
  const knownReg = db.prepare<[string], { registry: string }>(
    'SELECT registry FROM known_registries WHERE registry = ?',
  );
  const knownRepos = db.prepare<[string], { repository: string }>(
    'SELECT repository FROM known_repositories WHERE registry = ?',
  );
  const addReg = db.prepare('INSERT OR IGNORE INTO known_registries (registry) VALUES (?)');
  const addRepo = db.prepare('INSERT OR IGNORE INTO known_repositories (registry, repository) VALUES (?, ?)');
  const oldTasks = db.prepare<[string], { id: string }>('SELECT id FROM tasks WHERE created_at < ?');
  const delTask = db.prepare('DELETE FROM tasks WHERE id = ?');
  const delLog = db.prepare('DELETE FROM task_log WHERE task_id = ?');
  return {
    kind: 'sqlite',
    async create(task) {
      guard('create', () =>
        insert.run(task.id, task.createdAt, task.cancelRequested ? 1 : 0, JSON.stringify(task)),
      );
    },
    async update(task) {
      // cancel_requested is its own column: an update from the running engine never clears a request
      const { cancelRequested: _c, ...body } = task;
      guard('update', () => replace.run(JSON.stringify(body), task.id));
    },
    async get(id) {
      const row = guard('get', () => getOne.get(id));
      return row && toTask(row);
    },
    async list(opts = {}) {
      return guard('list', () => listAll.all(opts.limit ?? -1)).map(toTask);
    },
    async requestCancel(id) {
      return guard('cancel', () => cancel.run(id).changes === 1);
    },
    async appendLog(id, entry) {
      guard('log', () => append.run(id, JSON.stringify(entry)));
    },
    async readLog(id) {
      return guard('log', () => readLog.all(id)).map((r) => JSON.parse(r.body) as TaskLogEntry);
    },
    async knownRepositories(registry) {
      return guard('known', () => {
        if (!knownReg.get(registry)) return undefined;
        return new Set(knownRepos.all(registry).map((r) => r.repository));
      });
    },
    async addKnownRepositories(registry, repositories) {
      guard('known', () =>
        db.transaction(() => {
          addReg.run(registry);
          for (const r of repositories) addRepo.run(registry, r);
        })(),
      );
    },
    async deleteTasksBefore(cutoff) {
      return guard('retention', () =>
        db.transaction(() => {
          const ids = oldTasks.all(cutoff).map((r) => r.id);
          for (const id of ids) {
            delLog.run(id);
            delTask.run(id);
          }
          return ids.length;
        })(),
      );
    },
    async close() {
      if (db.open) db.close();
    },
  };
}
