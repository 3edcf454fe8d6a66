import { Minimatch } from 'minimatch';
import type { MinimatchOptions } from 'minimatch';
import type { Finding, FindingPackage } from '../types/finding.js';
import type { ImageRefParts } from './image-ref.js';
import { toImageGlob } from './image-ref.js';
import type { PackageSelector, PolicyException } from './types.js';

/** What an exception's scope selectors are checked against. */
export interface MatchScope {
  image?: ImageRefParts;
  digest?: string;
  namespace?: string;
}

const GLOB = { dot: true, nocomment: true, nonegate: true } as const;
const GLOB_NOCASE = { ...GLOB, nocase: true } as const;

/**
 * Compiled globs, shared across evaluations: the webhook evaluates the same policy on every admission, and
 * compiling a glob costs far more than matching it. Bounded: cleared when full.
 */
const compiled = new Map<string, Minimatch>();
const MAX_COMPILED = 5000;

function glob(pattern: string, options: MinimatchOptions): Minimatch {
  const key = `${options.nocase ? 'i' : 's'}\0${pattern}`;
  let mm = compiled.get(key);
  if (!mm) {
    if (compiled.size >= MAX_COMPILED) compiled.clear();
    mm = new Minimatch(pattern, options);
    compiled.set(key, mm);
  }
  return mm;
}

function minimatch(value: string, pattern: string, options: MinimatchOptions): boolean {
  return glob(pattern, options).match(value);
}

function list<T>(v: T | T[] | undefined): T[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

/** When an entry stops applying: a bare date means 00:00 UTC that day (as Trivy's `expired_at`). */
export function toExpiryDate(entry: PolicyException): Date | undefined {
  if (entry.expires === undefined) return undefined;
  const d = new Date(
    /^\d{4}-\d{2}-\d{2}$/.test(entry.expires) ? `${entry.expires}T00:00:00Z` : entry.expires,
  );
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/** Short human label of an entry for messages: `#2 (CVE-2023-1234, /app/**)`. */
export function describeException(entry: PolicyException, index: number): string {
  const sel = [
    ...list(entry.id),
    ...(entry.package === undefined
      ? []
      : [
          typeof entry.package === 'string'
            ? entry.package
            : (entry.package.purl ?? entry.package.name ?? ''),
        ]),
    ...list(entry.path),
    ...list(entry.type),
    ...list(entry.images),
    ...list(entry.repositories),
    ...list(entry.registries),
    ...list(entry.namespaces).map((n) => `ns:${n}`),
  ].filter((s) => s !== '');
  const shown = sel.slice(0, 3).join(', ') + (sel.length > 3 ? ', …' : '');
  return `#${index}${shown ? ` (${shown})` : ''}`;
}

function matchText(pattern: string, value: string): boolean {
  if (/[*?[]/.test(pattern)) return minimatch(value, pattern, GLOB_NOCASE);
  return pattern.toLowerCase() === value.toLowerCase();
}

function stripSlash(p: string): string {
  return p.replace(/^\/+/, '');
}

interface Purl {
  type: string;
  namespace?: string;
  name: string;
  version?: string;
}

/** Minimal purl parse: type, namespace, name, version (qualifiers and subpath ignored). */
export function parsePurl(purl: string): Purl | undefined {
  const m = /^pkg:([^/]+)\/(.+?)(?:@([^?#]*))?(?:\?[^#]*)?(?:#.*)?$/.exec(purl.trim());
  if (!m || m[1] === undefined || m[2] === undefined) return undefined;
  const path = m[2].split('/').map((s) => decodeURIComponent(s));
  const name = path.pop() ?? '';
  return {
    type: m[1].toLowerCase(),
    name,
    ...(path.length > 0 && { namespace: path.join('/') }),
    ...(m[3] !== undefined && m[3] !== '' && { version: decodeURIComponent(m[3]) }),
  };
}

function matchesPackage(sel: PackageSelector, pkg: FindingPackage | undefined): boolean {
  if (!pkg) return false;
  const s = typeof sel === 'string' ? (sel.startsWith('pkg:') ? { purl: sel } : { name: sel }) : sel;
  if (
    s.name !== undefined &&
    !(matchText(s.name, pkg.name) || (pkg.sourceName !== undefined && matchText(s.name, pkg.sourceName)))
  ) {
    return false;
  }
  if (s.version !== undefined && s.version !== pkg.version) return false;
  if (s.purl !== undefined) {
    const want = parsePurl(s.purl);
    const have = parsePurl(pkg.purl);
    if (!want || !have) return false;
    if (want.type !== have.type || want.name.toLowerCase() !== have.name.toLowerCase()) return false;
    // the namespace is part of the name (`pkg:npm/lodash` is not `pkg:npm/%40evil/lodash`): both absent or equal
    if ((want.namespace ?? '').toLowerCase() !== (have.namespace ?? '').toLowerCase()) return false;
    if (want.version !== undefined && want.version !== have.version) return false;
  }
  return true;
}

function matchesScope(entry: PolicyException, scope: MatchScope): boolean {
  const img = scope.image;
  if (entry.images) {
    if (!img) return false;
    const candidates = [
      img.ref,
      img.repository,
      ...(img.tag !== undefined ? [`${img.repository}:${img.tag}`] : []),
    ];
    if (!entry.images.some((g) => candidates.some((c) => minimatch(c, toImageGlob(g), GLOB)))) return false;
  }
  if (entry.repositories) {
    if (!img) return false;
    if (!entry.repositories.some((g) => minimatch(img.repository, toImageGlob(g), GLOB))) return false;
  }
  if (entry.registries) {
    if (!img || img.registry === '') return false;
    if (!entry.registries.some((g) => minimatch(img.registry, g, GLOB_NOCASE))) return false;
  }
  if (entry.digest !== undefined) {
    const d = scope.digest ?? img?.digest;
    if (d === undefined || !list(entry.digest).includes(d)) return false;
  }
  if (entry.namespaces) {
    const ns = scope.namespace;
    if (ns === undefined || !entry.namespaces.some((g) => minimatch(ns, g, GLOB))) return false;
  }
  return true;
}

/** Whether the entry's scope (image, registry, repository, digest, namespace) matches; independent of findings. */
export function isScopeMatch(entry: PolicyException, scope: MatchScope): boolean {
  return matchesScope(entry, scope);
}

/** A finding test compiled from one entry's selectors (id, type, package, path). */
export type FindingMatcher = (finding: Finding) => boolean;

/**
 * A glob test with a literal-prefix pre-check: most values fail on the prefix, which is far cheaper than the
 * regular expression minimatch builds.
 */
function toGlobTest(pattern: string, options: MinimatchOptions): ((value: string) => boolean) | undefined {
  const re = glob(pattern, options).makeRe();
  if (!re) return undefined;
  const literal = /^[^*?[{\\!+@()]*/.exec(pattern)?.[0] ?? '';
  // Up to the last '/' only: minimatch treats a trailing '/**' as also matching the directory itself.
  const cut = literal.includes('/') ? literal.slice(0, literal.lastIndexOf('/')) : literal;
  const prefix = options.nocase ? cut.toLowerCase() : cut;
  return (value) => (options.nocase ? value.toLowerCase() : value).startsWith(prefix) && re.test(value);
}

/**
 * Compiles an entry's finding selectors once: exact ids into a set, globs into regular expressions. Cheap
 * selectors are tested first. The webhook evaluates thousands of findings against hundreds of entries.
 */
export function compileFindingMatcher(entry: PolicyException): FindingMatcher {
  const tests: FindingMatcher[] = [];
  if (entry.type !== undefined) {
    const types = new Set<string>(list(entry.type));
    tests.push((f) => types.has(f.type));
  }
  if (entry.id !== undefined) {
    const exact = new Set<string>();
    const globs: ((value: string) => boolean)[] = [];
    for (const p of list(entry.id)) {
      if (/[*?[]/.test(p)) {
        const test = toGlobTest(p, GLOB_NOCASE);
        if (test) globs.push(test);
      } else exact.add(p.toLowerCase());
    }
    const one = (id: string): boolean => exact.has(id.toLowerCase()) || globs.some((test) => test(id));
    tests.push((f) => one(f.id) || (f.ruleId !== undefined && one(f.ruleId)) || (f.aliases ?? []).some(one));
  }
  if (entry.path !== undefined) {
    const res = list(entry.path)
      .map((p) => toGlobTest(stripSlash(p), GLOB))
      .filter((t): t is (value: string) => boolean => t !== undefined);
    tests.push((f) => {
      const path = f.location.path;
      if (path === undefined) return false;
      const value = stripSlash(path);
      return res.some((test) => test(value));
    });
  }
  if (entry.package !== undefined) {
    const sel = entry.package;
    tests.push((f) => matchesPackage(sel, f.package));
  }
  return (f) => tests.every((t) => t(f));
}

const matchers = new WeakMap<PolicyException, FindingMatcher>();

/** Whether the finding selectors (id, type, package, path) match; the scope is checked separately. */
export function isFindingMatch(entry: PolicyException, finding: Finding): boolean {
  let m = matchers.get(entry);
  if (!m) {
    m = compileFindingMatcher(entry);
    matchers.set(entry, m);
  }
  return m(finding);
}

/** Whether every selector of the entry matches the finding in this scope (expiry is checked by the caller). */
export function isExceptionMatch(entry: PolicyException, finding: Finding, scope: MatchScope): boolean {
  return matchesScope(entry, scope) && isFindingMatch(entry, finding);
}
