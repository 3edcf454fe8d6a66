// The webhook pod's DB refresh sidecar (issue 11 item 2) runs `portcullis db update --every DURATION`: a failed
// update keeps the previous DB and is tried again, and SIGTERM ends it cleanly. A real process, a real loopback
// port with nothing listening (so every update fails fast, with its reason).
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/free-port.js';
import { spawnPortcullis } from '../helpers/webhook-process.js';
import { createScratch } from './helpers.js';

describe('db update --every (the refresh sidecar)', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    ({ dir, cleanup } = await createScratch('db-every'));
  });
  afterAll(async () => cleanup());

  it('retries after a failed update, keeps running, and stops on SIGTERM with exit 0', async () => {
    const port = await freePort();
    const proc = spawnPortcullis(
      [
        'db',
        'update',
        '--db',
        join(dir, 'db.sqlite'),
        '--mirror',
        `http://127.0.0.1:${port}`,
        '--ecosystem',
        'PyPI',
        '--every',
        '200ms',
      ],
      { PATH: process.env.PATH, HOME: dir },
    );
    for (let i = 0; i < 600 && (proc.stderr().match(/keeping the previous DB/g) ?? []).length < 2; i++)
      await new Promise((r) => setTimeout(r, 100));
    expect(proc.child.exitCode).toBe(null);
    expect(await proc.stop('SIGTERM')).toBe(0);
    const failures = proc
      .stderr()
      .match(
        /^portcullis: DB_DOWNLOAD_FAILED: .*127\.0\.0\.1.*\(keeping the previous DB; next try in 200ms\)$/gm,
      );
    expect(failures?.length ?? 0).toBeGreaterThanOrEqual(2);
  });
});
