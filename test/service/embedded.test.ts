import { readFile, stat } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScratch } from '../e2e/helpers.js';
import { callApi, startServe, type ServeProcess } from './processes.js';

/** `portcullis serve` with no flags but a port: the embedded default (SQLite store, in-process tasks). */
describe('portcullis serve, embedded default (real process)', () => {
  let scratch: Awaited<ReturnType<typeof createScratch>>;
  let serve: ServeProcess;

  beforeAll(async () => {
    scratch = await createScratch('service-embedded');
    serve = await startServe([], { HOME: scratch.dir });
  }, 120_000);
  afterAll(async () => {
    await serve?.kill9();
    await scratch?.cleanup();
  });

  it('says it serves a temporary certificate, writes the admin token to a private file and serves the API', async () => {
    expect(serve.stderr()).toContain('no --tls-cert/--tls-key: serving a temporary self-signed certificate');
    expect(serve.stderr()).toContain('(store sqlite)');
    const path = /an admin token for this run is in (\S+)/.exec(serve.stderr())?.[1] as string;
    expect(path).toBeTruthy();
    expect((await stat(path)).mode & 0o077).toBe(0);
    const token = (await readFile(path, 'utf8')).trim();
    // the token itself is never printed
    expect(serve.stderr()).not.toContain(token);
    const ok = await callApi(serve.port, token, 'GET', '/api/v1/tasks');
    expect(ok).toEqual({ status: 200, body: { items: [] } });
    const anon = await callApi(serve.port, 'wrong', 'GET', '/api/v1/tasks');
    expect(anon.status).toBe(401);
    // the default store is the shared SQLite file registry scans use
    expect((await stat(`${scratch.dir}/.cache/portcullis/store.sqlite`)).isFile()).toBe(true);
  });

  it('stops cleanly on SIGTERM and removes the token file', async () => {
    const path = /an admin token for this run is in (\S+)/.exec(serve.stderr())?.[1] as string;
    expect(await serve.stop()).toBe(0);
    expect(serve.stderr()).toContain('SIGTERM: shutting down');
    await expect(stat(path)).rejects.toThrow(/ENOENT/);
  });
});
