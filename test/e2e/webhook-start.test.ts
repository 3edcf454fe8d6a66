/**
 * `webhook serve` start-up, as a real process (issue 11 items 2, 8, 20): the default DB path and its age are
 * logged, `/readyz` is not ready without a DB, a busy port is `WEBHOOK_PORT_IN_USE` naming the port, and a
 * failed start leaves no temporary TLS key behind.
 */
import { once } from 'node:events';
import { mkdir, readdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/env.js';
import { spawnWebhook, startWebhook } from '../helpers/webhook-process.js';
import { createScratch, portcullis } from './helpers.js';

/** Runs `portcullis webhook serve ARGS` until it listens, calls `whileUp`, then stops it with SIGTERM. */
async function serve(
  args: string[],
  env: NodeJS.ProcessEnv,
  whileUp?: (port: number) => Promise<void>,
): Promise<{ code: number | null; stderr: string }> {
  const proc = await startWebhook(args, { env });
  try {
    await whileUp?.(proc.port);
  } finally {
    await proc.stop();
  }
  return { code: await proc.exited, stderr: proc.stderr() };
}

describe('webhook serve start-up (real process)', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  const agent = new Agent({ connect: { rejectUnauthorized: false } });
  beforeAll(async () => {
    ({ dir, cleanup } = await createScratch('webhook-start'));
  });
  afterAll(async () => {
    await agent.close();
    await cleanup();
  });

  const readyz = async (port: number): Promise<{ status: number; body: Record<string, unknown> }> => {
    const res = await request(`https://127.0.0.1:${port}/readyz`, { dispatcher: agent });
    return { status: res.statusCode, body: (await res.body.json()) as Record<string, unknown> };
  };

  it('without --db or --store uses the default DB and store paths, says it has no DB and is not ready', async () => {
    const home = join(dir, 'home-empty');
    await mkdir(home, { recursive: true });
    let ready: { status: number; body: Record<string, unknown> } | undefined;
    const run = await serve([], { PATH: process.env.PATH, HOME: home }, async (port) => {
      ready = await readyz(port);
    });
    const expected = join(home, '.cache', 'portcullis', 'db.sqlite');
    expect(run.stderr).toContain(`WARNING: no usable vulnerability DB at ${expected}`);
    // nor a store flag: the SQLite file registry scan writes by default (its folder created on a fresh HOME)
    const store = join(home, '.cache', 'portcullis', 'store.sqlite');
    expect(run.stderr).toContain(
      `portcullis: verdict store: SQLite ${store} (the default file registry scan writes`,
    );
    expect(ready?.status).toBe(503);
    expect(String(ready?.body.message)).toContain(`no usable vulnerability DB at ${expected}`);
    expect(run.code).toBe(0);
  });

  it('with a DB at the default path (as `db import` writes it) logs its age and is ready', async () => {
    const home = join(dir, 'home-db');
    const db = join(home, '.cache', 'portcullis', 'db.sqlite');
    const imported = await portcullis(['db', 'import', join(ROOT, 'examples', 'osv-alpine-v3.11.zip')], {
      env: { HOME: home },
    });
    expect(imported.code).toBe(0);
    let ready: { status: number; body: Record<string, unknown> } | undefined;
    const run = await serve([], { PATH: process.env.PATH, HOME: home }, async (port) => {
      ready = await readyz(port);
    });
    expect(run.stderr).toMatch(
      new RegExp(
        `vulnerability DB ${db.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}, built \\S+ \\(\\d+ minutes? old\\)`,
      ),
    );
    expect(ready?.status).toBe(200);
    expect(ready?.body.db).toBe(db);
  });

  it('refuses a busy port with WEBHOOK_PORT_IN_USE and removes its temporary TLS key', async () => {
    const tmp = join(dir, 'tmp');
    await mkdir(tmp, { recursive: true });
    const busy = createServer();
    busy.listen(0, '127.0.0.1');
    await once(busy, 'listening');
    const port = (busy.address() as { port: number }).port;
    try {
      const proc = await spawnWebhook([], {
        env: { PATH: process.env.PATH, HOME: dir, TMPDIR: tmp },
        port,
      });
      const code = await proc.exited;
      const stderr = proc.stderr();
      expect(stderr).toContain('serving a temporary self-signed certificate');
      expect(stderr).toMatch(
        new RegExp(`portcullis: WEBHOOK_PORT_IN_USE: port ${port} on 127\\.0\\.0\\.1 is already in use`),
      );
      expect(stderr).not.toContain('INTERNAL');
      expect(code).toBe(2);
      expect((await readdir(tmp)).filter((n) => n.startsWith('portcullis-webhook-'))).toEqual([]);
    } finally {
      busy.close();
    }
  });
});
