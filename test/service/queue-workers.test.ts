/**
 * The BullMQ queue in one process (real `redis-server`): workers scan with the same pull credentials as the
 * in-process runner (ACR's temporary login, against the loopback ACR fake and a registry that accepts only
 * that login), and a task keeps up to `registries[].concurrency` images of one registry in the queue at once.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createMemoryStore,
  createMemoryTaskStore,
  type Policy,
  type TaskRecord,
} from '../../core/src/index.js';
import { createScanQueue, type ScanQueue } from '../../service/src/queue.js';
import { createInProcessRunner } from '../../service/src/runner.js';
import { TEST_REGISTRY, haveTestImages, skipReason } from '../helpers/env.js';
import { haveRedis, startRedis } from '../helpers/redis.js';
import {
  INSTANCE,
  TEMP_TOKEN,
  TEMP_USER,
  createAcrHandler,
  env as acrEnv,
} from '../source/catalog/acr-fake.js';
import { startFake, type FakeServer } from '../source/catalog/fake-server.js';
import { readFixtureRepos, registryUp } from '../source/catalog/fixture-images.js';
import {
  haveRegistryTools,
  htpasswdAuth,
  pushImage,
  startRegistry,
  type RunningRegistry,
} from '../source/registry-harness.js';
import { createCapturingLogger } from './helpers.js';

const canRun =
  (haveRedis || skipReason('redis-server is not installed')) &&
  (haveTestImages || skipReason('test images missing: bash scripts/test-images.sh build')) &&
  (registryUp || skipReason(`no registry at ${TEST_REGISTRY}: bash scripts/test-images.sh registry-start`)) &&
  (haveRegistryTools || skipReason('docker-registry, skopeo or htpasswd missing'));

interface JobLine {
  msg: string;
  registry?: string;
  reference?: string;
  job?: string;
}

describe.skipIf(!canRun)('scan queue workers (in-process, real redis-server)', () => {
  let redis: Awaited<ReturnType<typeof startRedis>>;
  let fake: FakeServer;
  let reg: RunningRegistry;
  let dir: string;
  let queue: ScanQueue;
  const { logger, lines } = createCapturingLogger();
  const tasks = createMemoryTaskStore();
  const verdicts = createMemoryStore();
  let policy: Policy;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'portcullis-queue-workers-'));
    redis = await startRedis();
    fake = await startFake(createAcrHandler(await readFixtureRepos(), () => Date.now()));
    // a registry that accepts only ACR's temporary login: an anonymous or AccessKey pull gets 401
    reg = await startRegistry(dir, { auth: await htpasswdAuth(dir, TEMP_USER, TEMP_TOKEN) });
    await pushImage('min', `${reg.host}/fixtures/debian:min`, `${TEMP_USER}:${TEMP_TOKEN}`);
    // HOME without a docker config: the only credentials are the ones the worker resolves
    env = { ...acrEnv, HOME: dir };
    policy = {
      apiVersion: 'portcullis/v1',
      registries: [
        {
          name: 'acr-prod',
          kind: 'acr',
          url: `http://${reg.host}`,
          endpoint: fake.origin,
          instanceId: INSTANCE,
          regionId: 'cn-hangzhou',
          accessKeyIdEnv: 'ACR_AK',
          accessKeySecretEnv: 'ACR_SK',
          repositories: { include: ['fixtures/debian'] },
          // the fake lists min (newer) and multi; only min was pushed here
          tags: { latest: 1 },
        },
        {
          name: 'loopback',
          kind: 'distribution',
          url: `http://${TEST_REGISTRY}`,
          repositories: { include: ['fixtures/debian', 'fixtures/debian-v2s2'] },
          concurrency: 2,
        },
      ],
    };
    queue = createScanQueue({ url: redis.url, policy: () => policy, env, logger });
  }, 300_000);

  afterAll(async () => {
    await queue?.close();
    await fake?.close();
    await reg?.stop();
    redis?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function runTaskOn(registry: string): Promise<TaskRecord> {
    const runner = createInProcessRunner({
      queue,
      policy: () => policy,
      tasks,
      verdicts,
      logger,
      request: { env },
    });
    const task = await runner.start({ registries: [registry], scanners: ['baseline'] });
    await runner.settled(task.id);
    return (await tasks.get(task.id)) as TaskRecord;
  }

  const jobLines = (registry: string): JobLine[] =>
    lines.map((l) => JSON.parse(l) as JobLine).filter((l) => l.registry === registry);

  it('pulls an ACR image in a queue worker with the temporary login exchanged for the AccessKey', async () => {
    const done = await runTaskOn('acr-prod');
    const log = await tasks.readLog(done.id);
    expect(log.map((e) => [e.reference, e.outcome, e.cause])).toEqual([
      [`${reg.host}/fixtures/debian:min`, 'scanned', undefined],
    ]);
    expect(done.status).toBe('succeeded');
    // the worker asked the ACR API for the login (signed with the AccessKey) …
    expect(fake.requests.filter((r) => r.headers['x-acs-action'] === 'GetAuthorizationToken')).toHaveLength(
      1,
    );
    // … and the job ran in the queue, not in the runner
    expect(jobLines('acr-prod').map((l) => l.msg)).toContain('scan job started');
    const digest = log[0]?.digest as string;
    expect((await verdicts.get(digest))?.scan.image.ref).toContain(reg.host);
  }, 180_000);

  it('keeps registries[].concurrency images of one registry in flight at once, never more', async () => {
    const done = await runTaskOn('loopback');
    expect(done.progress).toMatchObject({ inScope: 4, scanned: 4, failed: 0 });
    // in flight = jobs started and not yet done, in the order the worker logged them
    const started = new Map<string, boolean>();
    let now = 0;
    let max = 0;
    for (const l of lines.map((x) => JSON.parse(x) as JobLine)) {
      if (l.msg === 'scan job started' && l.registry === 'loopback') {
        started.set(l.job as string, true);
        max = Math.max(max, ++now);
      } else if (l.msg === 'scan job done' && started.has(l.job as string)) now--;
    }
    expect(started.size).toBe(4);
    expect(now).toBe(0);
    expect(max).toBe(2);
  }, 300_000);
});
