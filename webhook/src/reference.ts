import { PortcullisError } from '../../core/src/index.js';

/** A normalised image reference (distribution/reference rules, FORMATS.md §1). */
export interface ImageReference {
  /** Registry host as written (`docker.io` for Docker Hub). */
  domain: string;
  /** Repository path (`library/nginx`). */
  repository: string;
  tag?: string;
  digest?: string;
  /** `docker.io/library/nginx:latest`, or `…@sha256:…` when a digest is given (the tag is then dropped). */
  normalized: string;
}

const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-fA-F0-9]{32,}$/;
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;

/** Parses and normalises `nginx`, `ghcr.io/a/b:tag`, `127.0.0.1:5000/x@sha256:…` (throws SOURCE_REFERENCE_INVALID). */
export function parseImageReference(ref: string): ImageReference {
  const bad = (why: string): PortcullisError =>
    new PortcullisError('SOURCE_REFERENCE_INVALID', `invalid image reference "${ref}": ${why}`);
  if (ref.length === 0 || ref.length > 1024) throw bad('empty or too long');
  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw bad('malformed digest');
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw bad('malformed tag');
  }
  let domain = 'docker.io';
  let repository = rest;
  const slash = rest.indexOf('/');
  const first = slash >= 0 ? rest.slice(0, slash) : '';
  if (
    slash >= 0 &&
    (first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase())
  ) {
    domain = first;
    repository = rest.slice(slash + 1);
  }
  if (domain === 'index.docker.io') domain = 'docker.io';
  if (domain === 'docker.io' && !repository.includes('/')) repository = `library/${repository}`;
  if (repository.length === 0 || repository.length > 255) throw bad('empty or too long name');
  if (!repository.split('/').every((c) => PATH_COMPONENT.test(c)))
    throw bad('name must be lowercase path components');
  const name = `${domain}/${repository}`;
  if (digest !== undefined) return { domain, repository, digest, normalized: `${name}@${digest}` };
  tag ??= 'latest';
  return { domain, repository, tag, normalized: `${name}:${tag}` };
}
