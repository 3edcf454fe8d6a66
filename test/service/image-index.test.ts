import { describe, expect, it } from 'vitest';
import {
  createMemoryStore,
  createMemoryTaskStore,
  emptyProgress,
  type Policy,
  type StoredScan,
  type VerdictStore,
} from '../../core/src/index.js';
import { toSyntheticStored } from '../helpers/stored-scan.js';
import {
  createImageIndex,
  IMAGE_SNAPSHOT_NAME,
  isImageSelected,
  toIndexedImage,
} from '../../service/src/image-index.js';

const POLICY: Policy = { apiVersion: 'portcullis/v1' };

function toStored(n: number, severity: 'critical' | 'low'): StoredScan {
  const digest = `sha256:${String(n).repeat(64).slice(0, 64)}`;
  return toSyntheticStored({
    ref: `registry.example/team/app@${digest}`,
    digest,
    findings: [
      { type: 'sensitive-file', id: 'PCS-SECRET-X', severity, title: 'k', location: { path: '/k' } },
    ],
  });
}

describe('image index (the console lists read a snapshot of the evaluated store)', () => {
  it('filters indexed images as selectImages does: type and severity together, and each alone', () => {
    const i = toIndexedImage(toStored(1, 'critical'), POLICY, new Date('2026-12-01T00:00:00Z'));
    expect(i.summary.verdict).toBe('deny');
    expect(i.findings['sensitive-file'].critical).toBe(1);
    expect(isImageSelected(i, {})).toBe(true);
    expect(isImageSelected(i, { riskType: 'sensitive-file', severity: 'critical' })).toBe(true);
    expect(isImageSelected(i, { riskType: 'sensitive-file' })).toBe(true);
    expect(isImageSelected(i, { severity: 'critical' })).toBe(true);
    expect(isImageSelected(i, { riskType: 'sensitive-file', severity: 'low' })).toBe(false);
    expect(isImageSelected(i, { riskType: 'vulnerability' })).toBe(false);
    expect(isImageSelected(i, { verdict: 'allow' })).toBe(false);
    expect(isImageSelected(i, { repository: 'registry.example/team/app' })).toBe(false);
    expect(isImageSelected(i, { repository: 'team/app' })).toBe(true);
  });

  it('rebuilds in the background when a task changed or the snapshot aged; serves the old one meanwhile', async () => {
    const verdicts = createMemoryStore();
    const tasks = createMemoryTaskStore();
    let clock = 0;
    // listing (the index reads projections) takes 50 ms and reads do not wait (waitMs 0), so the stale answer
    // is observable
    const slow = {
      ...verdicts,
      listProjections: async () => {
        await new Promise((r) => setTimeout(r, 50));
        return verdicts.listProjections();
      },
    };
    const index = createImageIndex({
      verdicts: slow,
      tasks,
      policy: () => POLICY,
      now: () => new Date('2026-12-01T00:00:00Z'),
      clock: () => clock,
      maxAgeMs: 30_000,
      waitMs: 0,
      minRebuildMs: 0,
    });
    await verdicts.put(toStored(1, 'critical'));
    const first = await index.read();
    expect(first.images).toHaveLength(1);
    expect(first.refreshing).toBe(false);
    // a result arriving without a task (a CI push) shows once the snapshot is older than maxAgeMs
    await verdicts.put(toStored(2, 'low'));
    expect((await index.read()).images).toHaveLength(1);
    clock += 30_001;
    const aged = await index.read();
    expect(aged).toMatchObject({ refreshing: true });
    expect(aged.images).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 100));
    const fresh = await index.read();
    expect(fresh).toMatchObject({ refreshing: false });
    expect(fresh.images).toHaveLength(2);
    // a task that starts or progresses means the store may have changed: rebuilt without waiting for maxAge
    await verdicts.put(toStored(3, 'low'));
    await tasks.create({
      id: 't1',
      trigger: 'manual',
      scope: { registries: [], scanners: [] },
      status: 'running',
      progress: { ...emptyProgress(), scanned: 1 },
      createdAt: '2026-12-01T00:00:00Z',
    });
    expect(await index.read()).toMatchObject({ refreshing: true });
    await new Promise((r) => setTimeout(r, 100));
    expect((await index.read()).images).toHaveLength(3);
  });

  it('answers with the rebuilt snapshot when the rebuild ends within waitMs', async () => {
    const verdicts = createMemoryStore();
    const tasks = createMemoryTaskStore();
    let clock = 0;
    const index = createImageIndex({
      verdicts,
      tasks,
      policy: () => POLICY,
      now: () => new Date('2026-12-01T00:00:00Z'),
      clock: () => clock,
      waitMs: 5000,
      minRebuildMs: 5000,
    });
    expect((await index.read()).images).toHaveLength(0);
    await verdicts.put(toStored(1, 'low'));
    await tasks.create({
      id: 't1',
      trigger: 'manual',
      scope: { registries: [], scanners: [] },
      status: 'succeeded',
      progress: emptyProgress(),
      createdAt: '2026-12-01T00:00:00Z',
    });
    // within minRebuildMs of the last build a task change waits: the old snapshot, marked
    expect(await index.read()).toMatchObject({ refreshing: true, images: [] });
    clock += 5000;
    const read = await index.read();
    expect(read).toMatchObject({ refreshing: false });
    expect(read.images).toHaveLength(1);
  });

  describe('saved snapshot (a restarted service answers the first page at once)', () => {
    const BUILT = new Date('2026-12-01T00:00:00Z');
    const LATER = new Date('2026-12-02T00:00:00Z');
    // the first process: builds once (and saves), then is gone
    const buildAndSave = async (verdicts: VerdictStore, policy: Policy): Promise<void> => {
      const index = createImageIndex({
        verdicts,
        tasks: createMemoryTaskStore(),
        policy: () => policy,
        now: () => BUILT,
      });
      expect((await index.read()).refreshing).toBe(false);
      // saving is not awaited by the build
      for (let i = 0; i < 100 && !(await verdicts.readSnapshot(IMAGE_SNAPSHOT_NAME)); i++)
        await new Promise((r) => setTimeout(r, 10));
    };
    // the restarted process: its store lists slowly until `release`, so the saved answer is observable
    const restart = (verdicts: VerdictStore, policy: Policy) => {
      let release = (): void => {};
      const gate = new Promise<void>((r) => (release = r));
      const slow: VerdictStore = {
        ...verdicts,
        listProjections: async () => {
          await gate;
          return verdicts.listProjections();
        },
      };
      const index = createImageIndex({
        verdicts: slow,
        tasks: createMemoryTaskStore(),
        policy: () => policy,
        now: () => LATER,
        minRebuildMs: 0,
      });
      return { index, release };
    };
    const until = async (fn: () => Promise<boolean>): Promise<void> => {
      for (let i = 0; i < 200; i++) {
        if (await fn()) return;
        await new Promise((r) => setTimeout(r, 10));
      }
      throw new Error('timed out');
    };

    it('serves the saved snapshot marked refreshing with its own time, then the first build replaces it', async () => {
      const verdicts = createMemoryStore();
      await verdicts.put(toStored(1, 'critical'));
      await verdicts.put(toStored(2, 'low'));
      await buildAndSave(verdicts, POLICY);
      const { index, release } = restart(verdicts, POLICY);
      // answered although the store has not listed anything yet
      const first = await index.read();
      expect(first.refreshing).toBe(true);
      expect(first.builtAt).toEqual(BUILT);
      expect(first.images.map((i) => i.summary.verdict).sort()).toEqual(['allow', 'deny']);
      const denied = first.images.find((i) => i.summary.verdict === 'deny');
      expect(denied && isImageSelected(denied, { riskType: 'sensitive-file', severity: 'critical' })).toBe(
        true,
      );
      expect(denied && isImageSelected(denied, { severity: 'low' })).toBe(false);
      release();
      await until(async () => !(await index.read()).refreshing);
      const built = await index.read();
      expect(built.builtAt).toEqual(LATER);
      expect(built.images).toHaveLength(2);
    });

    it('never resurrects an image deleted since the snapshot was saved, once the first build ran', async () => {
      const verdicts = createMemoryStore();
      await verdicts.put({ ...toStored(1, 'critical'), storedAt: '2026-01-01T00:00:00.000Z' });
      await verdicts.put(toStored(2, 'low'));
      await buildAndSave(verdicts, POLICY);
      expect(await verdicts.deleteStoredBefore('2026-02-01T00:00:00.000Z')).toBe(1);
      const { index, release } = restart(verdicts, POLICY);
      expect((await index.read()).images).toHaveLength(2);
      release();
      await until(async () => !(await index.read()).refreshing);
      const digests = (await index.read()).images.map((i) => i.summary.digest);
      expect(digests).toEqual([toStored(2, 'low').digest]);
      // and the snapshot saved by that build has lost it too: the next restart does not show it either
      await until(async () => {
        const next = restart(verdicts, POLICY).index;
        return (await next.read()).images.length === 1;
      });
    });

    it('ignores a snapshot saved under another policy: the first page waits for the build', async () => {
      const verdicts = createMemoryStore();
      await verdicts.put(toStored(1, 'critical'));
      await buildAndSave(verdicts, POLICY);
      // the critical finding is excepted now: the saved verdict (deny) would be wrong
      const excepting: Policy = {
        ...POLICY,
        exceptions: [{ id: 'PCS-SECRET-X', reason: 'test key', owner: 'team-a', expires: '2027-01-31' }],
      };
      const { index, release } = restart(verdicts, excepting);
      const read = index.read();
      let answered = false;
      void read.then(() => (answered = true));
      await new Promise((r) => setTimeout(r, 50));
      expect(answered).toBe(false);
      release();
      const first = await read;
      expect(first.refreshing).toBe(false);
      expect(first.builtAt).toEqual(LATER);
      expect(first.images.map((i) => i.summary.verdict)).toEqual(['allow']);
    });

    it('ignores a corrupt saved snapshot', async () => {
      const verdicts = createMemoryStore();
      await verdicts.put(toStored(1, 'critical'));
      await verdicts.saveSnapshot(IMAGE_SNAPSHOT_NAME, '{"version":1,"policyDigest":');
      const { index, release } = restart(verdicts, POLICY);
      release();
      const first = await index.read();
      expect(first).toMatchObject({ refreshing: false, builtAt: LATER });
      expect(first.images).toHaveLength(1);
    });
  });
});
