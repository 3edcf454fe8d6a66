import type { Analyzer } from '../analyzer.js';
import { cargoAnalyzer } from './cargo.js';
import { composerAnalyzer } from './composer.js';
import { goBinaryAnalyzer } from './go-binary.js';
import { javaAnalyzer } from './java.js';
import { npmAnalyzer } from './npm.js';
import { pythonAnalyzer } from './python.js';
import { gemAnalyzer } from './ruby.js';

/** Application (language) package inventory analyzers, in a stable order. */
export const LANG_ANALYZERS: readonly Analyzer[] = [
  npmAnalyzer,
  pythonAnalyzer,
  goBinaryAnalyzer,
  javaAnalyzer,
  cargoAnalyzer,
  gemAnalyzer,
  composerAnalyzer,
];

export {
  cargoAnalyzer,
  composerAnalyzer,
  gemAnalyzer,
  goBinaryAnalyzer,
  javaAnalyzer,
  npmAnalyzer,
  pythonAnalyzer,
};
export {
  parseNpmLockfile,
  parseNpmPackageJson,
  selectUninstalledNpm,
  toNpmPackage,
  isNpmLockPath,
  isNpmInstalledPath,
  type NpmLockPackage,
} from './npm.js';
export { parsePythonMetadata, parseRfc822Headers, toPep503Name, isPythonMetadataPath } from './python.js';
export {
  parseGoBinary,
  parseGoBuildInfo,
  parseGoModInfo,
  readGoBuildInfoStrings,
  toGoPackages,
  toGoPackage,
  toGoStdlibVersion,
  GO_BUILDINFO_MAGIC,
  type GoBuildInfo,
  type GoModule,
} from './go-binary.js';
export {
  parseJavaArchive,
  parseJavaArchiveDetailed,
  parseManifest,
  parseProperties,
  toMavenPackage,
  isJavaArchivePath,
  MAX_NESTING_DEPTH,
  type JavaArchiveResult,
} from './java.js';
export {
  parseCargoLock,
  parseCargoAuditableBinary,
  parseCargoAuditableJson,
  toCargoPackage,
  CRATES_IO_SOURCES,
  AUDITABLE_SECTION,
} from './cargo.js';
export { parseGemspec, toGemPackage, isGemspecPath } from './ruby.js';
export {
  parseComposerInstalled,
  parseComposerLock,
  selectUninstalledComposer,
  toComposerPackage,
  isComposerInstalledPath,
  isComposerLockPath,
} from './composer.js';
export {
  parseElf,
  readElfSection,
  readElfAddress,
  isElf,
  isExecutableCandidate,
  type ElfFile,
} from './elf.js';
export { readZipEntries, readZipEntry, type ZipEntry, type ZipBudget } from './zip.js';
export { toPurl, locatePackages, type ParsedPackage } from './common.js';
