import { PortcullisError } from '../errors.js';

/** Names the fast path cannot take: absolute, `.`/`..` segments, empty segments, NUL. */
const NEEDS_CLEANING = /^\/|(?:^|\/)\.\.?(?:\/|$)|\/\/|\0/;

/**
 * Normalises a tar entry name to an absolute image path (`./usr/bin/` → `/usr/bin`).
 * Absolute names and `..` segments that climb out of the root are refused: no real layer
 * writer emits them, and a reader that "fixes" them is how path traversal bugs start.
 */
export function toImagePath(name: string, maxLength: number): string {
  if (name.length > maxLength) {
    throw new PortcullisError('LAYER_LIMIT_EXCEEDED', `entry path longer than ${maxLength} bytes`);
  }
  // the common case, a plain relative name (`usr/bin/env`, `etc/`): nothing to clean, no segments to split
  if (!NEEDS_CLEANING.test(name)) return '/' + (name.endsWith('/') ? name.slice(0, -1) : name);
  if (name.includes('\0')) {
    throw new PortcullisError('LAYER_PATH_UNSAFE', `entry path contains a NUL byte`);
  }
  if (name.startsWith('/')) {
    throw new PortcullisError('LAYER_PATH_UNSAFE', `absolute entry path ${JSON.stringify(name)}`);
  }
  const out: string[] = [];
  for (const seg of name.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (out.length === 0) {
        throw new PortcullisError(
          'LAYER_PATH_UNSAFE',
          `entry path escapes the image root: ${JSON.stringify(name)}`,
        );
      }
      out.pop();
      continue;
    }
    out.push(seg);
  }
  return '/' + out.join('/');
}

/** Joins a symlink target to the directory holding the link, clamped at the image root. */
export function joinInImage(dir: string, target: string): string {
  const base = target.startsWith('/') ? [] : dir.split('/').filter(Boolean);
  for (const seg of target.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') base.pop();
    else base.push(seg);
  }
  return '/' + base.join('/');
}

export function parentOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}

export function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** True when `path` is `dir` itself or lies below it. */
export function isWithin(path: string, dir: string): boolean {
  if (dir === '/') return true;
  return path === dir || path.startsWith(dir + '/');
}
