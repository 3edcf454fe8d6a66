import { minimatch } from 'minimatch';
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
  if (/[*?[]/.test(pattern)) return minimatch(value, pattern, { ...GLOB, nocase: true });
  return pattern.toLowerCase() === value.toLowerCase();
}

function stripSlash(p: string): string {
  return p.replace(/^\/+/, '');
}

function matchesId(patterns: string[], f: Finding): boolean {
  const ids = [f.id, ...(f.ruleId ? [f.ruleId] : []), ...(f.aliases ?? [])];
  return patterns.some((p) => ids.some((id) => matchText(p, id)));
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
    if (want.namespace !== undefined && want.namespace.toLowerCase() !== (have.namespace ?? '').toLowerCase())
      return false;
    if (want.version !== undefined && want.version !== have.version) return false;
  }
  return true;
}

function matchesPath(patterns: string[], f: Finding): boolean {
  const path = f.location.path;
  if (path === undefined) return false;
  const value = stripSlash(path);
  return patterns.some((p) => minimatch(value, stripSlash(p), GLOB));
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
    if (!entry.registries.some((g) => minimatch(img.registry, g, { ...GLOB, nocase: true }))) return false;
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

/** Whether every selector of the entry matches the finding in this scope (expiry is checked by the caller). */
export function isExceptionMatch(entry: PolicyException, finding: Finding, scope: MatchScope): boolean {
  if (entry.id !== undefined && !matchesId(list(entry.id), finding)) return false;
  if (entry.type !== undefined && !list(entry.type).includes(finding.type)) return false;
  if (entry.package !== undefined && !matchesPackage(entry.package, finding.package)) return false;
  if (entry.path !== undefined && !matchesPath(list(entry.path), finding)) return false;
  return matchesScope(entry, scope);
}
