/** The parts of an image reference that exception scopes match on. */
export interface ImageRefParts {
  /** Normalised reference (`docker.io/library/nginx:1.25`, `127.0.0.1:5000/a/b@sha256:…`). */
  ref: string;
  /** Registry host (`docker.io`, `127.0.0.1:5000`); empty for local sources (archives, layouts). */
  registry: string;
  /** Registry + path, without tag or digest (`docker.io/library/nginx`). */
  repository: string;
  tag?: string;
  digest?: string;
}

const LOCAL_TRANSPORTS = /^(docker-archive|oci-archive|oci|dir|docker-daemon):/;

/**
 * Normalises an image reference the way Docker does: `nginx` → `docker.io/library/nginx`, `index.docker.io`
 * → `docker.io`. Local sources (`oci:DIR:tag`, archive paths) are kept as given with no registry.
 */
export function toImageRefParts(input: string): ImageRefParts {
  let s = input
    .trim()
    .replace(/^registry:/, '')
    .replace(/^docker:\/\//, '');
  if (LOCAL_TRANSPORTS.test(s) || s.startsWith('/') || s.startsWith('.')) {
    return { ref: s, registry: '', repository: s };
  }
  let digest: string | undefined;
  const at = s.indexOf('@');
  if (at >= 0) {
    digest = s.slice(at + 1);
    s = s.slice(0, at);
  }
  let tag: string | undefined;
  const lastSlash = s.lastIndexOf('/');
  const colon = s.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = s.slice(colon + 1);
    s = s.slice(0, colon);
  }
  const repository = toRepository(s);
  const registry = repository.slice(0, repository.indexOf('/'));
  const ref = `${repository}${tag !== undefined ? `:${tag}` : ''}${digest !== undefined ? `@${digest}` : ''}`;
  return {
    ref,
    registry,
    repository,
    ...(tag !== undefined && { tag }),
    ...(digest !== undefined && { digest }),
  };
}

function isDomain(component: string): boolean {
  return component.includes('.') || component.includes(':') || component === 'localhost';
}

function toRepository(name: string): string {
  const parts = name.split('/');
  const first = parts[0] ?? '';
  if (parts.length > 1 && isDomain(first)) {
    const host = first === 'index.docker.io' || first === 'registry-1.docker.io' ? 'docker.io' : first;
    const rest = parts.slice(1).join('/');
    return host === 'docker.io' && parts.length === 2 ? `${host}/library/${rest}` : `${host}/${rest}`;
  }
  return parts.length === 1 ? `docker.io/library/${name}` : `docker.io/${name}`;
}

/** True when an image, repository or registry glob matches every image (a star, two stars, two stars then a slash and a star). */
export function isEveryImageGlob(pattern: string): boolean {
  // only stars and slashes: `*` alone, or any form with `**` (a lone `*/*` stops at one path segment)
  return /^[*/]+$/.test(pattern) && (pattern === '*' || pattern.includes('**'));
}

/**
 * Normalises a scope glob the way a reference is (`toRepository`), so `nginx*` or `team/*` match Docker Hub
 * references. Globs that start with a wildcard, or name a registry, are kept as written.
 */
export function toImageGlob(pattern: string): string {
  // `*` is what users write for "every image"; as a path glob it would match only names without a `/`
  if (/^\*+$/.test(pattern)) return '**';
  if (LOCAL_TRANSPORTS.test(pattern) || pattern.startsWith('/') || pattern.startsWith('.')) return pattern;
  const first = pattern.split('/')[0] ?? '';
  // `*`, `**/x`, `*.example.com/…`: the user spelled out the registry position; keep it.
  if (/^[*?[]/.test(first) || (pattern.includes('/') && /[*?[]/.test(first))) return pattern;
  return toRepository(pattern);
}
