import { PortcullisError } from '../errors.js';

/**
 * A normalised image reference (distribution/reference semantics): `nginx` is
 * `docker.io/library/nginx:latest`; with both a tag and a digest only the digest is kept.
 */
export interface ImageReference {
  /** Registry domain as written (`docker.io`, `127.0.0.1:5000`, `localhost`). */
  domain: string;
  /** Repository path without the domain (`library/nginx`). */
  path: string;
  tag?: string;
  digest?: string;
  /** Host (with port) to contact: `registry-1.docker.io` for `docker.io`, else `domain`. */
  registryHost: string;
  /** `domain/path` */
  repository: string;
  /** Fully qualified: `docker.io/library/nginx:latest` or `…@sha256:…`. */
  toString(): string;
  /** Short form as Docker prints it: `nginx:latest`, `user/app@sha256:…`, `ghcr.io/a/b:1`. */
  familiarName(): string;
}

export const DEFAULT_DOMAIN = 'docker.io';
const LEGACY_DEFAULT_DOMAIN = 'index.docker.io';
export const DOCKER_HUB_HOST = 'registry-1.docker.io';
const OFFICIAL_REPO_PREFIX = 'library/';
const MAX_NAME_LENGTH = 255;

// Grammar from distribution/reference regexp.go.
const PATH_COMPONENT = '[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*';
const PATH_RE = new RegExp(`^${PATH_COMPONENT}(?:/${PATH_COMPONENT})*$`);
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN_RE = new RegExp(
  `^(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?$`,
);
const TAG_RE = /^[\w][\w.-]{0,127}$/;
const DIGEST_RE = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$/;

function invalid(ref: string, why: string): PortcullisError {
  return new PortcullisError('SOURCE_REFERENCE_INVALID', `invalid image reference "${ref}": ${why}`);
}

/** Splits `name` into domain and remainder like distribution's `splitDockerDomain`. */
function splitDomain(name: string): { domain: string; remainder: string } {
  const i = name.indexOf('/');
  const first = i === -1 ? '' : name.slice(0, i);
  const looksLikeHost =
    i !== -1 &&
    (first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase());
  let domain = looksLikeHost ? first : DEFAULT_DOMAIN;
  let remainder = looksLikeHost ? name.slice(i + 1) : name;
  if (domain === LEGACY_DEFAULT_DOMAIN) domain = DEFAULT_DOMAIN;
  if (domain === DEFAULT_DOMAIN && !remainder.includes('/')) remainder = OFFICIAL_REPO_PREFIX + remainder;
  return { domain, remainder };
}

/** Parses and normalises an image reference; throws SOURCE_REFERENCE_INVALID. */
export function parseReference(ref: string): ImageReference {
  if (typeof ref !== 'string' || ref.length === 0) throw invalid(String(ref), 'empty');
  if (ref.trim() !== ref) throw invalid(ref, 'surrounding whitespace');
  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at !== -1) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST_RE.test(digest)) throw invalid(ref, `bad digest "${digest}"`);
  }
  let tag: string | undefined;
  // A tag follows the last ':' that comes after the last '/' (a ':' before it is a port).
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG_RE.test(tag)) throw invalid(ref, `bad tag "${tag}"`);
  }
  if (rest.length === 0) throw invalid(ref, 'missing repository name');
  if (rest.length > MAX_NAME_LENGTH) throw invalid(ref, `name longer than ${MAX_NAME_LENGTH} characters`);
  const { domain, remainder } = splitDomain(rest);
  if (!DOMAIN_RE.test(domain)) throw invalid(ref, `bad registry host "${domain}"`);
  if (!PATH_RE.test(remainder)) {
    const why =
      remainder !== remainder.toLowerCase() ? 'repository name must be lowercase' : 'bad repository name';
    throw invalid(ref, why);
  }
  // ParseDockerRef keeps only the digest when both are given; TagNameOnly adds latest when neither.
  if (digest !== undefined) tag = undefined;
  else if (tag === undefined) tag = 'latest';
  return toImageReference({ domain, path: remainder, tag, digest });
}

/** Builds a reference value from already-validated parts. */
export function toImageReference(parts: {
  domain: string;
  path: string;
  tag?: string | undefined;
  digest?: string | undefined;
}): ImageReference {
  const { domain, path } = parts;
  const tag = parts.tag;
  const digest = parts.digest;
  const suffix = digest !== undefined ? `@${digest}` : tag !== undefined ? `:${tag}` : '';
  const repository = `${domain}/${path}`;
  const value: ImageReference = {
    domain,
    path,
    registryHost: domain === DEFAULT_DOMAIN ? DOCKER_HUB_HOST : domain,
    repository,
    toString: () => repository + suffix,
    familiarName: () => {
      if (domain !== DEFAULT_DOMAIN) return repository + suffix;
      const short = path.startsWith(OFFICIAL_REPO_PREFIX) ? path.slice(OFFICIAL_REPO_PREFIX.length) : path;
      return short + suffix;
    },
  };
  if (tag !== undefined) value.tag = tag;
  if (digest !== undefined) value.digest = digest;
  return value;
}

/** Parses a repository name without tag or digest (`127.0.0.1:5000/a/b`, `nginx`). */
export function parseRepository(name: string): ImageReference {
  const ref = parseReference(name);
  if (ref.digest !== undefined || name.endsWith(`:${ref.tag ?? ''}`)) {
    throw invalid(name, 'expected a repository name without tag or digest');
  }
  return toImageReference({ domain: ref.domain, path: ref.path });
}
