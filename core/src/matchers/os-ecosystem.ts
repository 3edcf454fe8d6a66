import type { OsInfo } from '../types/index.js';

function majorMinor(v: string): string | undefined {
  return /^(\d+\.\d+)/.exec(v)?.[1];
}

function major(v: string): string | undefined {
  return /^(\d+)/.exec(v)?.[1];
}

/**
 * The OSV ecosystem of an OS release (`Alpine:v3.11`, `Debian:12`, `Ubuntu:22.04:LTS`), or undefined
 * when Portcullis does not know how OSV names it. Callers may pass their own mapping instead.
 */
export function toOsvEcosystem(os: OsInfo): string | undefined {
  const id = os.family.toLowerCase();
  const version = os.versionId ?? os.version;
  switch (id) {
    case 'alpine': {
      const mm = majorMinor(version.replace(/^v/, ''));
      return mm ? `Alpine:v${mm}` : undefined;
    }
    case 'debian': {
      const m = major(version);
      return m ? `Debian:${m}` : undefined;
    }
    case 'ubuntu': {
      const mm = majorMinor(version);
      if (!mm) return undefined;
      // LTS releases are the even years' April releases.
      const [yy, month] = mm.split('.').map(Number) as [number, number];
      return yy % 2 === 0 && month === 4 ? `Ubuntu:${mm}:LTS` : `Ubuntu:${mm}`;
    }
    case 'rocky':
      return major(version) ? `Rocky Linux:${major(version)}` : undefined;
    case 'almalinux':
      return major(version) ? `AlmaLinux:${major(version)}` : undefined;
    case 'cbl-mariner':
      return majorMinor(version) ? `Mariner:${majorMinor(version)}` : undefined;
    case 'azurelinux':
      return majorMinor(version) ? `Azure Linux:${majorMinor(version)}` : undefined;
    case 'wolfi':
      return 'Wolfi';
    case 'chainguard':
      return 'Chainguard';
    default:
      return undefined;
  }
}
