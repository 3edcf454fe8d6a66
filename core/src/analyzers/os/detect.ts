import type { OsInfo } from '../../types/package.js';
import { OS_RELEASE_FILES, toVersionId } from './os-release.js';

/** One release file's answer, as the OS analyzer produced it for `path`. */
export interface OsDetection {
  path: string;
  os?: OsInfo;
}

const RANK = new Map(OS_RELEASE_FILES.map(([path], i) => [path, i]));

function rank(path: string): number {
  return RANK.get(path) ?? RANK.size;
}

/** Whether `detail` (e.g. `12.5`, `3.11.5`) refines `coarse` (`12`, `3.11`) of the same release. */
function refines(detail: string, coarse: string): boolean {
  if (!/^\d+(\.\d+)*/.test(detail)) return false;
  if (coarse === '' || !/^\d/.test(coarse)) return true;
  return detail === coarse || detail.startsWith(`${coarse}.`) || detail.startsWith(`${coarse}_`);
}

/**
 * Merges the answers of several release files into one OS. os-release decides the family (Ubuntu ships a
 * `debian_version` too); a distribution's own file refines the version where os-release is coarser
 * (`debian_version` 12.5 over VERSION_ID 12, `alpine-release` 3.11.5 over 3.11). Undefined when no file
 * named an OS.
 */
export function detectOs(results: readonly OsDetection[]): OsInfo | undefined {
  const found = results
    .filter((r): r is Required<OsDetection> => r.os !== undefined && r.os.family !== '')
    .sort((a, b) => rank(a.path) - rank(b.path));
  const first = found[0];
  if (!first) return undefined;
  const os: OsInfo = { ...first.os };

  const sameFamily = found.filter((r) => r.os.family === os.family);
  const refinerPath =
    os.family === 'debian'
      ? '/etc/debian_version'
      : os.family === 'alpine'
        ? '/etc/alpine-release'
        : undefined;
  const refiner = sameFamily.find((r) => r.path === refinerPath);
  if (refiner && refiner !== first && refines(refiner.os.version, os.version)) {
    os.version = refiner.os.version;
    const versionId = toVersionId(os.family, os.version);
    if (versionId !== undefined) os.versionId = versionId;
  }
  // A file lower in precedence may still know a version or a display name the winner lacks.
  if (!os.version) {
    const withVersion = sameFamily.find((r) => r.os.version);
    if (withVersion) {
      os.version = withVersion.os.version;
      if (withVersion.os.versionId !== undefined) os.versionId = withVersion.os.versionId;
    }
  }
  if (!os.prettyName) {
    const named = sameFamily.find((r) => r.os.prettyName);
    if (named?.os.prettyName) os.prettyName = named.os.prettyName;
  }
  return os;
}
