import { describe, expect, it } from 'vitest';
import { toOsvEcosystem } from '../../core/src/matchers/index.js';

describe('toOsvEcosystem', () => {
  it.each([
    [{ family: 'alpine', version: '3.11.5' }, 'Alpine:v3.11'],
    [{ family: 'alpine', version: '3.19.1', versionId: '3.19.1' }, 'Alpine:v3.19'],
    [{ family: 'debian', version: '12.5', versionId: '12' }, 'Debian:12'],
    [{ family: 'ubuntu', version: '22.04.4 LTS', versionId: '22.04' }, 'Ubuntu:22.04:LTS'],
    [{ family: 'ubuntu', version: '23.10', versionId: '23.10' }, 'Ubuntu:23.10'],
    [{ family: 'rocky', version: '9.3' }, 'Rocky Linux:9'],
    [{ family: 'cbl-mariner', version: '2.0.20240123' }, 'Mariner:2.0'],
  ])('maps %o to %s', (os, eco) => {
    expect(toOsvEcosystem(os)).toBe(eco);
  });

  it('knows no ecosystem for an unknown OS or an unreadable version', () => {
    expect(toOsvEcosystem({ family: 'plan9', version: '4' })).toBeUndefined();
    expect(toOsvEcosystem({ family: 'debian', version: 'bookworm/sid' })).toBeUndefined();
  });
});
