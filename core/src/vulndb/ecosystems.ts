/** The OSV ecosystems `db update` keeps by default (the CLI's and the scan service's scheduled update). */
export const DEFAULT_UPDATE_ECOSYSTEMS = [
  'Alpine',
  'Debian',
  'Ubuntu',
  'Go',
  'PyPI',
  'npm',
  'crates.io',
  'Maven',
  'RubyGems',
  'Packagist',
];
