import { describe, expect, it } from 'vitest';
import { defaultStorePath, parseStoreSpec } from '../../core/src/index.js';
import { parseStoreSpec as parseWebhookStoreSpec } from '../../webhook/src/index.js';

describe('store specs', () => {
  const env = { HOME: '/home/u' };
  it('names one default SQLite file for registry scans, tasks and `webhook serve --store sqlite`', () => {
    expect(defaultStorePath(env)).toBe('/home/u/.cache/portcullis/store.sqlite');
    expect(defaultStorePath({ ...env, PORTCULLIS_STORE: '/data/s.sqlite' })).toBe('/data/s.sqlite');
    expect(parseStoreSpec('sqlite', env, 'USAGE_INVALID')).toEqual({
      kind: 'sqlite',
      path: '/home/u/.cache/portcullis/store.sqlite',
    });
    expect(parseWebhookStoreSpec('sqlite', env)).toEqual(parseStoreSpec('sqlite', env, 'USAGE_INVALID'));
  });
  it('keeps explicit paths and Redis URLs, and refuses anything else with the caller’s code', () => {
    expect(parseStoreSpec('sqlite:/x.sqlite', env, 'USAGE_INVALID')).toEqual({
      kind: 'sqlite',
      path: '/x.sqlite',
    });
    expect(parseStoreSpec('redis://h:6379/2', env, 'USAGE_INVALID')).toMatchObject({
      kind: 'redis',
      url: 'redis://h:6379/2',
    });
    expect(() => parseStoreSpec('mysql://h', env, 'USAGE_INVALID')).toThrow(
      expect.objectContaining({ code: 'USAGE_INVALID' }),
    );
    expect(() => parseWebhookStoreSpec('sqlite:', env)).toThrow(
      expect.objectContaining({ code: 'WEBHOOK_CONFIG_INVALID' }),
    );
  });
});
