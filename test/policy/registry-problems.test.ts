// The `registries:` checks the schema cannot express, called directly with exact problems (paths and
// messages): a lister must not start with a setting its kind ignores or without one it needs.
import { describe, expect, it } from 'vitest';
import { registryProblems } from '../../core/src/policy/registries.js';

describe('registryProblems', () => {
  it('finds nothing without a registries list, or in entries that are not mappings', () => {
    expect(registryProblems(null)).toEqual([]);
    expect(registryProblems({})).toEqual([]);
    expect(registryProblems({ registries: 'harbor' })).toEqual([]);
    expect(registryProblems({ registries: [null, 'x', ['a'], 3] })).toEqual([]);
  });

  it('names a duplicate name at the later entry, pointing at the first', () => {
    const doc = {
      registries: [
        { name: 'a', kind: 'harbor' },
        { name: 'b', kind: 'harbor' },
        { name: 'a', kind: 'harbor' },
        { name: 'a', kind: 'harbor' },
      ],
    };
    expect(registryProblems(doc)).toEqual([
      { path: '/registries/2/name', message: 'duplicates /registries/0/name ("a")' },
      { path: '/registries/3/name', message: 'duplicates /registries/0/name ("a")' },
    ]);
  });

  it('requires each kind’s own settings (quay: namespaces; acr: instance, region and key env vars)', () => {
    expect(registryProblems({ registries: [{ name: 'q', kind: 'quay' }] })).toEqual([
      { path: '/registries/0/namespaces', message: 'is required for kind quay' },
    ]);
    expect(
      registryProblems({ registries: [{ name: 'r', kind: 'acr', instanceId: 'cri-1', regionId: 'x' }] }),
    ).toEqual([
      { path: '/registries/0/accessKeyIdEnv', message: 'is required for kind acr' },
      { path: '/registries/0/accessKeySecretEnv', message: 'is required for kind acr' },
    ]);
    // the control case: everything there, nothing reported; other kinds need nothing extra
    expect(
      registryProblems({
        registries: [
          { name: 'q', kind: 'quay', namespaces: ['n'] },
          {
            name: 'r',
            kind: 'acr',
            instanceId: 'cri-1',
            regionId: 'x',
            accessKeyIdEnv: 'A',
            accessKeySecretEnv: 'S',
          },
          { name: 'h', kind: 'harbor' },
          { name: 'd', kind: 'distribution' },
        ],
      }),
    ).toEqual([]);
  });

  it('refuses a kind-specific setting on another kind, naming the kinds it applies to', () => {
    expect(
      registryProblems({
        registries: [
          { name: 'h', kind: 'harbor', groups: ['g'], projects: ['p'], endpoint: 'e' },
          { name: 'g', kind: 'gitlab', projects: ['p'], tokenKind: 'job', namespaces: ['n'] },
        ],
      }),
    ).toEqual([
      { path: '/registries/0/groups', message: 'applies only to kind gitlab' },
      { path: '/registries/0/endpoint', message: 'applies only to kind acr' },
      { path: '/registries/1/namespaces', message: 'applies only to kind quay or acr' },
    ]);
  });

  it('does not call two entries without a name duplicates (the schema reports the missing names)', () => {
    expect(registryProblems({ registries: [{ kind: 'harbor' }, { kind: 'harbor' }] })).toEqual([]);
  });

  it('skips the kind checks when the kind is not a string (the schema reports that)', () => {
    expect(registryProblems({ registries: [{ name: 'x', kind: 3, groups: ['g'] }] })).toEqual([]);
  });
});
