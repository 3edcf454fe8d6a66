import type { Finding } from '../types/finding.js';
import type { Evaluation, ScanResult } from '../types/scan.js';
import { compareVersions } from '../versions/index.js';

/** How to fix one vulnerable package. */
export interface PackageRemediation {
  name: string;
  ecosystem: string;
  purl: string;
  installed: string;
  /** The smallest version that fixes every fixable vulnerability of this package; absent when none has a fix. */
  fixedVersion?: string;
  /** Vulnerabilities the upgrade fixes. */
  fixes: string[];
  /** Vulnerabilities with no known fix. */
  unfixed: string[];
  /** Package manager whose Dockerfile snippet covers it. */
  manager?: 'apt' | 'apk';
  path?: string;
}

/** Per vulnerable package the minimal fixed version, plus Dockerfile lines that upgrade OS packages. */
export interface Remediation {
  packages: PackageRemediation[];
  /** `RUN apt-get … --only-upgrade pkg=ver …` / `RUN apk add --no-cache --upgrade pkg=ver …`. */
  dockerfile: string[];
}

function managerOf(f: Finding): 'apt' | 'apk' | undefined {
  const t = f.package?.type ?? '';
  const purlType = /^pkg:([^/]+)\//.exec(f.package?.purl ?? '')?.[1];
  if (t === 'dpkg' || purlType === 'deb') return 'apt';
  if (t === 'apk' || purlType === 'apk') return 'apk';
  return undefined;
}

function compare(ecosystem: string, a: string, b: string): number | undefined {
  try {
    return compareVersions(ecosystem, a, b);
  } catch {
    // Unknown scheme or an unparsable version: no ordering, so no claim about which fix is minimal.
    return undefined;
  }
}

/** The fix for one finding: the matcher's choice, else the smallest listed fix above the installed version. */
function fixOf(f: Finding): string | undefined {
  const pkg = f.package;
  if (!pkg) return undefined;
  if (pkg.fixedVersion !== undefined) return pkg.fixedVersion;
  const above = (f.fixedVersions ?? []).filter((v) => (compare(pkg.ecosystem, v, pkg.version) ?? 1) > 0);
  return above.sort((a, b) => compare(pkg.ecosystem, a, b) ?? 0)[0];
}

/** Remediation for every unsuppressed vulnerability of an evaluation. */
export function remediationFor(evaluation: Evaluation, _scan?: ScanResult): Remediation {
  const byPkg = new Map<string, PackageRemediation>();
  for (const f of evaluation.findings) {
    if (f.type !== 'vulnerability' || f.suppressedBy !== undefined || !f.package) continue;
    const pkg = f.package;
    const key = [pkg.ecosystem, pkg.name, pkg.version, f.location.path ?? ''].join('\0');
    let r = byPkg.get(key);
    if (!r) {
      const manager = managerOf(f);
      r = {
        name: pkg.name,
        ecosystem: pkg.ecosystem,
        purl: pkg.purl,
        installed: pkg.version,
        fixes: [],
        unfixed: [],
        ...(manager !== undefined && { manager }),
        ...(f.location.path !== undefined && { path: f.location.path }),
      };
      byPkg.set(key, r);
    }
    const fix = fixOf(f);
    if (fix === undefined) {
      if (!r.unfixed.includes(f.id)) r.unfixed.push(f.id);
      continue;
    }
    if (!r.fixes.includes(f.id)) r.fixes.push(f.id);
    // Every fix must be reached, so the package needs the highest of the per-vulnerability minimal fixes.
    if (r.fixedVersion === undefined || (compare(pkg.ecosystem, fix, r.fixedVersion) ?? 0) > 0)
      r.fixedVersion = fix;
  }
  const packages = [...byPkg.values()].sort(
    (a, b) => cmp(a.manager ?? '~', b.manager ?? '~') || cmp(a.ecosystem, b.ecosystem) || cmp(a.name, b.name),
  );
  return { packages, dockerfile: toDockerfile(packages) };
}

function toDockerfile(packages: PackageRemediation[]): string[] {
  const pins = (m: 'apt' | 'apk'): string[] => [
    ...new Set(
      packages
        .filter((p) => p.manager === m && p.fixedVersion !== undefined && isShellSafe(p.name, p.fixedVersion))
        .map((p) => `${p.name}=${p.fixedVersion ?? ''}`),
    ),
  ];
  const out: string[] = [];
  const apt = pins('apt');
  if (apt.length > 0) {
    out.push(
      `RUN apt-get update && apt-get install -y --no-install-recommends --only-upgrade ${apt.join(' ')} && rm -rf /var/lib/apt/lists/*`,
    );
  }
  const apk = pins('apk');
  if (apk.length > 0) out.push(`RUN apk add --no-cache --upgrade ${apk.join(' ')}`);
  return out;
}

/** Package names and versions go into a shell line: only characters dpkg/apk allow, nothing a shell expands. */
function isShellSafe(name: string, version: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9+._-]*$/.test(name) && /^[A-Za-z0-9][A-Za-z0-9+.~:_-]*$/.test(version);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
