import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { describeStore, prepareStore, toServeStoreSpec } from '../../webhook/src/serve-store.js';

const DEFAULT = '/home/u/.cache/portcullis/store.sqlite';

describe('toServeStoreSpec (the store webhook serve opens)', () => {
  it('without --store or a config store: is the default SQLite file registry scan writes', () => {
    expect(toServeStoreSpec(undefined, null, DEFAULT)).toBe(`sqlite:${DEFAULT}`);
    expect(toServeStoreSpec(undefined, 'mode: warn\n', DEFAULT)).toBe(`sqlite:${DEFAULT}`);
    expect(toServeStoreSpec(undefined, 'store: null\n', DEFAULT)).toBe(`sqlite:${DEFAULT}`);
  });

  it('leaves a config file store: in force when no flag is given', () => {
    expect(toServeStoreSpec(undefined, 'store: memory\n', DEFAULT)).toBeUndefined();
    expect(toServeStoreSpec(undefined, '{"store": "redis://r:6379"}', DEFAULT)).toBeUndefined();
  });

  it('takes --store over both, with `sqlite` alone meaning the default file', () => {
    expect(toServeStoreSpec('memory', null, DEFAULT)).toBe('memory');
    expect(toServeStoreSpec('memory', 'store: sqlite:/x.sqlite\n', DEFAULT)).toBe('memory');
    expect(toServeStoreSpec('sqlite', null, DEFAULT)).toBe(`sqlite:${DEFAULT}`);
    expect(toServeStoreSpec('sqlite:/data/v.sqlite', null, DEFAULT)).toBe('sqlite:/data/v.sqlite');
  });
});

describe('describeStore (the start-up line)', () => {
  it('names the default file as the one registry scan writes, and another file without that', () => {
    expect(describeStore({ kind: 'sqlite', path: DEFAULT }, DEFAULT)).toBe(
      `verdict store: SQLite ${DEFAULT} (the default file registry scan writes; --store memory for none)`,
    );
    expect(describeStore({ kind: 'sqlite', path: '/data/v.sqlite' }, DEFAULT)).toBe(
      'verdict store: SQLite /data/v.sqlite',
    );
  });

  it('says that memory forgets, and never prints a Redis password', () => {
    expect(describeStore({ kind: 'memory' }, DEFAULT)).toMatch(/^verdict store: memory \(verdicts are lost/);
    const line = describeStore(
      { kind: 'redis', url: 'redis://user:s3cret-pw@redis.example:6380/2', keyPrefix: 'p:' },
      DEFAULT,
    );
    expect(line).toBe('verdict store: Redis redis://redis.example:6380/2');
    expect(line).not.toContain('s3cret-pw');
  });
});

describe('prepareStore', () => {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-serve-store-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('creates the SQLite file’s folder on a fresh machine', () => {
    prepareStore({ kind: 'sqlite', path: join(dir, '.cache', 'portcullis', 'store.sqlite') });
    expect(statSync(join(dir, '.cache', 'portcullis')).isDirectory()).toBe(true);
  });

  it('fails with WEBHOOK_STORE_UNAVAILABLE and the --store memory hint when it cannot', () => {
    writeFileSync(join(dir, 'a-file'), '');
    expect(() => prepareStore({ kind: 'sqlite', path: join(dir, 'a-file', 'sub', 'store.sqlite') })).toThrow(
      expect.objectContaining({
        code: 'WEBHOOK_STORE_UNAVAILABLE',
        message: expect.stringContaining('--store memory') as unknown,
      }),
    );
  });
});
