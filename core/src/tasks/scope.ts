import { minimatch } from 'minimatch';
import type { ListedImage } from './lister.js';

/** A registry's scope settings (the policy's `registries[]` entry, the parts the scope reads). */
export interface ScopeSettings {
  repositories?: { include?: string[]; exclude?: string[] };
  autoAddNew?: boolean;
  tags?: { latest?: number };
}

const GLOB_CHARS = /[*?[\]{}!]/;

/** A pattern without glob characters names one repository: it is scanned even when auto-add is off. */
export function isExplicitRepository(pattern: string): boolean {
  return !GLOB_CHARS.test(pattern);
}

/** include (default: everything) and not exclude; globs are minimatch's, `*` stops at `/`. */
export function isRepositoryInScope(repository: string, settings: ScopeSettings): boolean {
  const include = settings.repositories?.include;
  const exclude = settings.repositories?.exclude ?? [];
  const matches = (p: string): boolean => minimatch(repository, p, { dot: true });
  if (include && include.length > 0 && !include.some(matches)) return false;
  return !exclude.some(matches);
}

export interface RepositorySelection {
  /** Repositories the task scans, in listing order. */
  scan: string[];
  /** In scope but not scanned: new since the first task while auto-add is off. */
  notAdded: string[];
  /** Repositories to record as known after this task. */
  record: string[];
}

/**
 * Picks the repositories a task scans. With auto-add on, every repository in scope. With it off, those known
 * at the registry's first task (`known`, undefined when this is the first) or named explicitly in `include`.
 */
export function selectRepositories(
  listed: readonly string[],
  settings: ScopeSettings,
  known: ReadonlySet<string> | undefined,
): RepositorySelection {
  const inScope = listed.filter((r) => isRepositoryInScope(r, settings));
  if (settings.autoAddNew !== false || known === undefined)
    return { scan: inScope, notAdded: [], record: inScope.filter((r) => !known?.has(r)) };
  const explicit = new Set((settings.repositories?.include ?? []).filter(isExplicitRepository));
  const scan = inScope.filter((r) => known.has(r) || explicit.has(r));
  return { scan, notAdded: inScope.filter((r) => !scan.includes(r)), record: [] };
}

/** The update time, else the creation time (RFC 3339), of an image as listed. */
export function toImageTime(image: Pick<ListedImage, 'updatedAt' | 'createdAt'>): string | undefined {
  return image.updatedAt ?? image.createdAt;
}

function timeOf(image: ListedImage): number {
  const t = toImageTime(image);
  const ms = t === undefined ? NaN : Date.parse(t);
  return Number.isNaN(ms) ? -Infinity : ms;
}

/** `tags.latest: N`: the N newest images of one repository (images without a time sort last). */
export function selectLatest(images: readonly ListedImage[], latest: number | undefined): ListedImage[] {
  const sorted = [...images].sort((a, b) => timeOf(b) - timeOf(a));
  return latest === undefined ? sorted : sorted.slice(0, latest);
}

/**
 * Checks the time range: `undefined` when the image is inside it (or its time is unknown: scanning more is
 * the safe side), else the cause recorded with the skipped image.
 */
export function checkTimeRange(
  image: Pick<ListedImage, 'updatedAt' | 'createdAt'>,
  rangeMs: number,
  now: number,
  rangeText: string,
): string | undefined {
  const which = image.updatedAt !== undefined ? 'updated' : 'created';
  const t = toImageTime(image);
  if (t === undefined) return undefined;
  const ms = Date.parse(t);
  if (Number.isNaN(ms) || ms >= now - rangeMs) return undefined;
  return `outside the time range: ${which} ${t}, more than ${rangeText} ago`;
}
