import type { Ecosystem, OsInfo, Package, PackageType } from '../../types/package.js';
import { toPurl } from './purl.js';

/** What we know about an OS family: its package manager, purl vendor namespace and OSV ecosystem. */
interface FamilyInfo {
  type: 'dpkg' | 'apk' | 'rpm';
  namespace: string;
  ecosystem: Ecosystem;
}

/** Keyed by os-release ID. */
const FAMILIES: Readonly<Record<string, FamilyInfo>> = {
  debian: { type: 'dpkg', namespace: 'debian', ecosystem: 'Debian' },
  ubuntu: { type: 'dpkg', namespace: 'ubuntu', ecosystem: 'Ubuntu' },
  alpine: { type: 'apk', namespace: 'alpine', ecosystem: 'Alpine' },
  wolfi: { type: 'apk', namespace: 'wolfi', ecosystem: 'Wolfi' },
  chainguard: { type: 'apk', namespace: 'chainguard', ecosystem: 'Chainguard' },
  rhel: { type: 'rpm', namespace: 'redhat', ecosystem: 'Red Hat' },
  // CentOS rebuilds RHEL sources; Red Hat advisories are the closest data there is.
  centos: { type: 'rpm', namespace: 'centos', ecosystem: 'Red Hat' },
  rocky: { type: 'rpm', namespace: 'rocky', ecosystem: 'Rocky Linux' },
  almalinux: { type: 'rpm', namespace: 'almalinux', ecosystem: 'AlmaLinux' },
  fedora: { type: 'rpm', namespace: 'fedora', ecosystem: 'unknown' },
  ol: { type: 'rpm', namespace: 'oracle', ecosystem: 'unknown' },
  amzn: { type: 'rpm', namespace: 'amazon', ecosystem: 'unknown' },
  sles: { type: 'rpm', namespace: 'suse', ecosystem: 'SUSE' },
  sled: { type: 'rpm', namespace: 'suse', ecosystem: 'SUSE' },
  sles_sap: { type: 'rpm', namespace: 'suse', ecosystem: 'SUSE' },
  'opensuse-leap': { type: 'rpm', namespace: 'opensuse', ecosystem: 'openSUSE' },
  'opensuse-tumbleweed': { type: 'rpm', namespace: 'opensuse', ecosystem: 'openSUSE' },
  opensuse: { type: 'rpm', namespace: 'opensuse', ecosystem: 'openSUSE' },
  'cbl-mariner': { type: 'rpm', namespace: 'mariner', ecosystem: 'Mariner' },
  azurelinux: { type: 'rpm', namespace: 'azurelinux', ecosystem: 'Azure Linux' },
  photon: { type: 'rpm', namespace: 'photon', ecosystem: 'unknown' },
};

/** Guesses for rpm packages read before the OS is known, from the rpm VENDOR tag. */
const RPM_VENDORS: readonly [RegExp, string, Ecosystem][] = [
  [/^Red Hat/i, 'redhat', 'Red Hat'],
  [/^SUSE/i, 'suse', 'SUSE'],
  [/^openSUSE/i, 'opensuse', 'openSUSE'],
  [/^Microsoft/i, 'mariner', 'Mariner'],
  [/^Rocky/i, 'rocky', 'Rocky Linux'],
  [/^AlmaLinux/i, 'almalinux', 'AlmaLinux'],
  [/^CentOS/i, 'centos', 'Red Hat'],
  [/^Fedora/i, 'fedora', 'unknown'],
  [/^Amazon/i, 'amazon', 'unknown'],
  [/^Oracle/i, 'oracle', 'unknown'],
];

const DEFAULTS: Readonly<Record<FamilyInfo['type'], Omit<FamilyInfo, 'type'>>> = {
  dpkg: { namespace: 'debian', ecosystem: 'Debian' },
  apk: { namespace: 'alpine', ecosystem: 'Alpine' },
  rpm: { namespace: '', ecosystem: 'unknown' },
};

function isOsType(type: PackageType): type is FamilyInfo['type'] {
  return type === 'dpkg' || type === 'apk' || type === 'rpm';
}

/** The `distro` qualifier: `debian-12`, `ubuntu-22.04`, `3.11.5` (apk), `redhat-8.8` (rpm, as purl-spec). */
function distroQualifier(type: FamilyInfo['type'], namespace: string, os: OsInfo): string | undefined {
  if (!os.version) return undefined;
  if (type === 'apk') return os.version;
  if (type === 'dpkg') return `${namespace}-${os.versionId ?? os.version}`;
  return `${namespace}-${os.version}`;
}

/**
 * Ecosystem and purl of an OS package, from the OS when known (and of the family the package manager belongs
 * to), else a best effort from the package type (and the rpm vendor).
 */
export function toOsPackageIdentity(
  pkg: { type: PackageType; name: string; version: string; arch?: string },
  os: OsInfo | undefined,
  vendor?: string,
): { ecosystem: Ecosystem; purl: string } {
  if (!isOsType(pkg.type)) throw new TypeError(`not an OS package type: ${pkg.type}`);
  const type = pkg.type;
  let { namespace, ecosystem } = DEFAULTS[type];
  let distro: string | undefined;
  const family = os ? FAMILIES[os.family] : undefined;
  if (os && family?.type === type) {
    ({ namespace, ecosystem } = family);
    distro = distroQualifier(type, namespace, os);
  } else if (os && !family) {
    // An OS we have no table entry for: name it honestly instead of pretending it is Debian or Alpine.
    namespace = os.family;
    ecosystem = 'unknown';
    distro = distroQualifier(type, namespace, os);
  } else if (type === 'rpm' && vendor) {
    const guess = RPM_VENDORS.find(([re]) => re.test(vendor));
    if (guess) [, namespace, ecosystem] = guess;
  }

  let purl: string;
  if (type === 'rpm') {
    // purl-spec rpm: version is version-release, the epoch goes in its own qualifier.
    const m = /^(\d+):(.*)$/.exec(pkg.version);
    purl = toPurl({
      type: 'rpm',
      namespace: namespace || undefined,
      name: pkg.name,
      version: m ? m[2] : pkg.version,
      qualifiers: { arch: pkg.arch, epoch: m?.[1], distro },
    });
  } else {
    // deb and apk names are case-insensitive and lowercased; the deb version keeps its epoch (`1:2.4.47-2`).
    purl = toPurl({
      type: type === 'dpkg' ? 'deb' : 'apk',
      namespace,
      name: pkg.name.toLowerCase(),
      version: pkg.version,
      qualifiers: { arch: pkg.arch, distro },
    });
  }
  return { ecosystem, purl };
}

/**
 * Sets `ecosystem` and `purl` of OS packages (dpkg, apk, rpm) from the detected OS; other packages are
 * returned unchanged. Packages of another package manager than the OS's own keep their best-effort values.
 * Returns new objects; the input is not modified.
 */
export function applyOsToPackages(packages: Package[], os: OsInfo | undefined): Package[] {
  if (!os) return packages;
  return packages.map((pkg) => {
    if (!isOsType(pkg.type)) return pkg;
    const family = FAMILIES[os.family];
    if (family && family.type !== pkg.type) return pkg;
    return { ...pkg, ...toOsPackageIdentity(pkg, os) };
  });
}

function major(v: string | undefined): string | undefined {
  return v === undefined ? undefined : /^(\d+)/.exec(v)?.[1];
}

function majorMinor(v: string | undefined): string | undefined {
  return v === undefined ? undefined : /^(\d+\.\d+)/.exec(v)?.[1];
}

/** Ubuntu LTS: marked so in os-release (`Ubuntu 22.04.3 LTS`), or an even year's April release (`18.04`). */
function isUbuntuLts(os: OsInfo, id: string): boolean {
  if (/\bLTS\b/.test(os.prettyName ?? '') || /\bLTS\b/.test(os.version)) return true;
  const [yy, month] = id.split('.').map(Number) as [number, number];
  return yy % 2 === 0 && month === 4;
}

/**
 * The OSV ecosystem string of an OS release (`Debian:12`, `Alpine:v3.11`, `Ubuntu:22.04:LTS`,
 * `Mariner:2.0`, `SUSE:Linux Enterprise Server 15 SP5`). Undefined when the release cannot be named: unknown
 * families, missing versions, and Red Hat, whose OSV ecosystems are keyed on repository CPEs
 * (`Red Hat:rhel_aus:8.4::appstream`) that os-release does not carry.
 */
export function toOsvEcosystem(os: OsInfo | undefined): string | undefined {
  if (!os) return undefined;
  const version = os.version;
  // The full version first; the version id (`v3.11`, `12`) when the version itself has no number.
  const id = os.versionId?.replace(/^v/, '');
  const maj = major(version) ?? major(id);
  const mm = majorMinor(version) ?? majorMinor(id);
  switch (os.family.toLowerCase()) {
    case 'debian':
      return maj ? `Debian:${maj}` : undefined;
    case 'ubuntu': {
      const release = majorMinor(id) ?? majorMinor(version);
      if (!release) return undefined;
      return isUbuntuLts(os, release) ? `Ubuntu:${release}:LTS` : `Ubuntu:${release}`;
    }
    case 'alpine':
      return mm ? `Alpine:v${mm}` : undefined;
    case 'rocky':
      return maj ? `Rocky Linux:${maj}` : undefined;
    case 'almalinux':
      return maj ? `AlmaLinux:${maj}` : undefined;
    case 'cbl-mariner':
      return mm ? `Mariner:${mm}` : undefined;
    case 'azurelinux':
      return mm ? `Azure Linux:${mm}` : undefined;
    case 'opensuse-leap':
      return mm ? `openSUSE:Leap ${mm}` : undefined;
    case 'opensuse-tumbleweed':
      return 'openSUSE:Tumbleweed';
    case 'sles': {
      const m = /^(\d+)(?:\.(\d+))?/.exec(version);
      if (!m) return undefined;
      return m[2] && m[2] !== '0'
        ? `SUSE:Linux Enterprise Server ${m[1]} SP${m[2]}`
        : `SUSE:Linux Enterprise Server ${m[1]}`;
    }
    case 'wolfi':
      return 'Wolfi';
    case 'chainguard':
      return 'Chainguard';
    default:
      return undefined;
  }
}
