import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { afterAll, describe, expect, it } from 'vitest';
import { createMemoryStore, loadCorePolicyEngine } from '../../webhook/src/index.js';
import {
  MULTI_REF as MULTI,
  captureLogger,
  podRequest,
  readScan,
  testApp,
  toReview,
  toStored,
} from './helpers.js';

describe('policy file (ConfigMap mount)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pc-policy-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('applies an edited policy to the next admission without a restart, and keeps the last good one on a bad edit', async () => {
    const path = join(dir, 'policy.yaml');
    writeFileSync(path, 'apiVersion: portcullis/v1\n');
    const { logger, lines } = captureLogger();
    const engine = await loadCorePolicyEngine(path, logger);
    const store = createMemoryStore();
    await store.put(toStored(readScan('multi')));
    const { app } = testApp(store, {}, { policy: engine });
    const allowed = async () =>
      (
        await request(app)
          .post('/validate')
          .send(toReview(podRequest([MULTI])))
      ).body.response.allowed as boolean;
    expect(await allowed()).toBe(false);
    const first = engine.current().digest;

    // Written elsewhere and renamed into place, as a ConfigMap update swaps files.
    writeFileSync(join(dir, 'next.yaml'), 'apiVersion: portcullis/v1\nadmission: { mode: warn }\n');
    renameSync(join(dir, 'next.yaml'), path);
    for (let i = 0; i < 100 && engine.current().digest === first; i++)
      await new Promise((r) => setTimeout(r, 50));
    expect(engine.current().digest).not.toBe(first);
    expect(await allowed()).toBe(true);

    const good = engine.current().digest;
    writeFileSync(
      join(dir, 'bad.yaml'),
      'apiVersion: portcullis/v1\ngates: { deny: { severity: extreme } }\n',
    );
    renameSync(join(dir, 'bad.yaml'), path);
    await expect(engine.reload()).rejects.toMatchObject({ code: 'POLICY_INVALID' });
    for (
      let i = 0;
      i < 100 && !lines.some((l) => l.msg === 'policy reload failed; keeping the previous policy');
      i++
    )
      await new Promise((r) => setTimeout(r, 50));
    expect(engine.current().digest).toBe(good);
    expect(await allowed()).toBe(true);
    engine.close();
  });
});
