import type { Analyzer } from '../analyzer.js';
import {
  analyzeWith,
  createParsedPackage,
  isRegularWithin,
  parseError,
  toPurl,
  type ParsedPackage,
} from './common.js';

/** Generated specifications are a few KiB; big ones carry long file lists. */
export const MAX_GEMSPEC_BYTES = 4 * 1024 * 1024;

// `s.name = "rack".freeze`, `spec.version = '1.2.3'`, `s.version = Gem::Version.new("1.2.3")`.
const ATTR_RE = (attr: string): RegExp =>
  new RegExp(
    `^[ \\t]*\\w+\\.${attr}[ \\t]*=[ \\t]*(?:Gem::Version\\.new\\(\\s*)?(?:"([^"\\n]*)"|'([^'\\n]*)')`,
    'm',
  );
const NAME_RE = ATTR_RE('name');
const VERSION_RE = ATTR_RE('version');
// `[ \t]` rather than `\s`: `\s*` after `^` would rescan runs of blank lines (quadratic on hostile input).
const LICENSES_RE = /^[ \t]*\w+\.licenses?[ \t]*=[ \t]*\[?([^\n\]]*)\]?/m;
// The `# stub: name version platform paths` comment RubyGems writes on line two.
const STUB_RE = /^# stub: (\S+) (\S+)/m;

/** A RubyGems package (`pkg:gem/name@1.2.3`). */
export function toGemPackage(name: string, version: string, licenses?: string[]): ParsedPackage {
  return createParsedPackage('gem', 'RubyGems', {
    name,
    version,
    purl: toPurl('gem', undefined, name, version),
    licenses,
  });
}

/**
 * Parses an installed gem's `specifications/*.gemspec` (the Ruby DSL RubyGems generates) by matching the
 * name and version assignments, never evaluating Ruby.
 */
export function parseGemspec(buf: Buffer, path: string): ParsedPackage[] {
  if (buf.includes(0)) throw parseError(path, 'binary content is not a gemspec');
  const text = buf.toString('utf8');
  const stub = STUB_RE.exec(text);
  const n = NAME_RE.exec(text);
  const v = VERSION_RE.exec(text);
  const name = n?.[1] ?? n?.[2] ?? stub?.[1];
  const version = v?.[1] ?? v?.[2] ?? stub?.[2];
  if (!name || !version) throw parseError(path, 'no name/version assignment found');
  const lic = LICENSES_RE.exec(text)?.[1];
  const licenses = lic
    ? [...lic.matchAll(/"([^"]+)"|'([^']+)'/g)].map((m) => m[1] ?? m[2] ?? '').filter(Boolean)
    : [];
  return [toGemPackage(name, version, licenses)];
}

/** `…/specifications/x.gemspec` and `…/specifications/default/x.gemspec` (Ruby's bundled default gems). */
export function isGemspecPath(path: string): boolean {
  return /\/specifications\/(?:default\/)?[^/]+\.gemspec$/.test(path);
}

/** RubyGems: installed gem specifications. */
export const gemAnalyzer: Analyzer = {
  name: 'gem',
  version: 1,
  scanner: 'inventory',
  required(path, header) {
    return isGemspecPath(path) && isRegularWithin(header, MAX_GEMSPEC_BYTES);
  },
  analyze(file) {
    return analyzeWith(file, 'gem', parseGemspec);
  },
};
