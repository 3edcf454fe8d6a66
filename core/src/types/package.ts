/** How a package was installed: the package manager or file format it was read from. */
export type PackageType =
  'dpkg' | 'apk' | 'rpm' | 'npm' | 'pypi' | 'go-binary' | 'go-module' | 'jar' | 'cargo' | 'gem' | 'composer';

/**
 * OSV ecosystem base names. OS ecosystems get their release appended at match time
 * (`Debian:12`, `Alpine:v3.11`), from the detected OS.
 */
export type Ecosystem =
  | 'Debian'
  | 'Ubuntu'
  | 'Alpine'
  | 'Red Hat'
  | 'SUSE'
  | 'openSUSE'
  | 'AlmaLinux'
  | 'Rocky Linux'
  | 'Mariner'
  | 'Azure Linux'
  | 'Wolfi'
  | 'Chainguard'
  | 'npm'
  | 'PyPI'
  | 'Go'
  | 'Maven'
  | 'crates.io'
  | 'RubyGems'
  | 'Packagist'
  | 'unknown';

export interface Package {
  name: string;
  /** Name as written in the package metadata, when `name` is a normalised form (PyPI, PEP 503). */
  originalName?: string;
  version: string;
  type: PackageType;
  /** OSV ecosystem base name; for OS packages it is derived from the detected OS. */
  ecosystem: Ecosystem;
  /** Package URL (purl-spec), e.g. `pkg:deb/debian/bash@5.2.15-2?arch=amd64&distro=debian-12`. */
  purl: string;
  /** Source package name (dpkg `Source:`, apk origin, rpm source RPM name). */
  sourceName?: string;
  /** Source package version when it differs from the binary version. */
  sourceVersion?: string;
  /** Architecture, where the package database records it. */
  arch?: string;
  licenses?: string[];
  /** Digest of the layer the package's evidence was found in. */
  layerDigest: string;
  /** Absolute path in the image of the file the package was read from. */
  path: string;
}

/** The OS release detected in the image. */
export interface OsInfo {
  /** os-release ID: `debian`, `ubuntu`, `alpine`, `rhel`, `sles`, `cbl-mariner`, … */
  family: string;
  /** Full version (`12.5`, `3.11.5`). */
  version: string;
  /** Version id used to pick an OSV ecosystem (`12`, `v3.11`, `22.04`). */
  versionId?: string;
  prettyName?: string;
}
