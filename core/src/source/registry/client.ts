import { pipeline, type Readable } from 'node:stream';
import { PortcullisError } from '../../errors.js';
import { readBounded } from '../bytes.js';
import { assertDigest, computeDigest, createDigestVerifier, isDigest } from '../digest.js';
import {
  MANIFEST_ACCEPT,
  parseManifestDocument,
  toBareMediaType,
  type ImageIndex,
  type ImageManifest,
} from '../manifest.js';
import {
  DEFAULT_DOMAIN,
  DOCKER_HUB_HOST,
  parseReference,
  parseRepository,
  type ImageReference,
} from '../reference.js';
import { resolveLimits, type SourceOptions } from '../types.js';
import { createAuthenticator, parseChallenges } from './auth.js';
import { createCredentialLookup } from './credentials.js';
import {
  abandonBody,
  createTransport,
  discardBody,
  readErrorText,
  toGuardedBody,
  type HttpResponse,
} from './http.js';
import { parseNextLink } from './link.js';

/** A manifest or index as fetched, verified against its digest. */
export interface ManifestResult {
  digest: string;
  mediaType: string | undefined;
  /** Raw bytes, exactly as served (what the digest covers). */
  data: Buffer;
  document: ImageIndex | ImageManifest;
}

/** What `GET /v2/` said. */
export interface PingResult {
  /** `https://host` or `http://host`. */
  origin: string;
  /** `Docker-Distribution-API-Version`, normally `registry/2.0`. */
  apiVersion?: string;
}

/** Docker Registry HTTP API v2 / OCI distribution client (the only network code in sources). */
export interface RegistryClient {
  ping(registry: string): Promise<PingResult>;
  getManifest(ref: ImageReference | string): Promise<ManifestResult>;
  /** Manifest digest of a tag (HEAD; falls back to GET for registries that omit the header). */
  resolveDigest(ref: ImageReference | string): Promise<string>;
  /** Blob stream, redirects followed, verified against `digest` (and `size` when given). */
  openBlob(repository: ImageReference | string, digest: string, opts?: { size?: number }): Promise<Readable>;
  /** Small blob (a config) in memory, verified, within the JSON size limit. */
  readBlob(repository: ImageReference | string, digest: string, opts?: { size?: number }): Promise<Buffer>;
  listTags(repository: ImageReference | string, opts?: { pageSize?: number }): Promise<string[]>;
  listCatalog(registry: string, opts?: { pageSize?: number }): Promise<string[]>;
  close(): Promise<void>;
}

const MAX_AUTH_ROUNDS = 2;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** `docker.io` → `registry-1.docker.io`; other registries are contacted as named. */
export function toRegistryHost(registry: string): string {
  const r = registry.toLowerCase();
  return r === DEFAULT_DOMAIN || r === 'index.docker.io' ? DOCKER_HUB_HOST : registry;
}

function header(res: HttpResponse, name: string): string | undefined {
  const v = res.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function asReference(ref: ImageReference | string): ImageReference {
  return typeof ref === 'string' ? parseReference(ref) : ref;
}

function asRepository(repo: ImageReference | string): ImageReference {
  return typeof repo === 'string' ? parseRepository(repo) : repo;
}

/** Maps a final non-success status to an error code. */
async function toStatusError(res: HttpResponse, what: string): Promise<PortcullisError> {
  const detail = await readErrorText(res);
  const suffix = detail ? ` (${detail})` : '';
  switch (res.statusCode) {
    case 401:
      return new PortcullisError('REGISTRY_UNAUTHORIZED', `${what}: unauthorized${suffix}`);
    case 403:
      return new PortcullisError('REGISTRY_DENIED', `${what}: access denied${suffix}`);
    case 404:
      return new PortcullisError('REGISTRY_NOT_FOUND', `${what}: not found${suffix}`);
    default:
      return new PortcullisError(
        'REGISTRY_PROTOCOL',
        `${what}: unexpected status ${res.statusCode}${suffix}`,
      );
  }
}

/** Creates a registry client; credentials come from opts, `$PORTCULLIS_REGISTRY_AUTH` or docker config. */
export function createRegistryClient(opts: SourceOptions = {}): RegistryClient {
  const limits = resolveLimits(opts.limits);
  const transport = createTransport({
    dispatcher: opts.dispatcher,
    caCert: opts.caCert,
    insecureRegistries: opts.insecureRegistries,
    limits,
    signal: opts.signal,
  });
  const credentialsFor = createCredentialLookup(opts);
  const auth = createAuthenticator(transport, credentialsFor);

  /** One API call with the auth dance: at most MAX_AUTH_ROUNDS answered challenges, never a loop. */
  const call = async (
    host: string,
    pathAndQuery: string,
    init: {
      method: 'GET' | 'HEAD';
      headers?: Record<string, string>;
      scope?: string | undefined;
      /** What is read, for errors: `manifest REF`, `blob DIGEST of REPO`. */
      what: string;
    },
  ): Promise<{ res: HttpResponse; url: URL }> => {
    const url = new URL(pathAndQuery, await transport.origin(host));
    let authorization = auth.cached(host, init.scope);
    for (let round = 0; ; round++) {
      const headers = { ...init.headers };
      if (authorization) headers.authorization = authorization;
      const res = await transport.send(url, { method: init.method, headers, what: init.what });
      if (res.statusCode !== 401 || round >= MAX_AUTH_ROUNDS) return { res, url };
      const challenges = parseChallenges(res.headers['www-authenticate']);
      await discardBody(res);
      if (authorization) auth.forget(host, init.scope);
      authorization = await auth.respond(host, init.scope, challenges);
    }
  };

  const pullScope = (ref: ImageReference) => `repository:${ref.path}:pull`;

  const fetchManifest = async (ref: ImageReference, method: 'GET' | 'HEAD') => {
    const reference = ref.digest ?? ref.tag ?? 'latest';
    return call(ref.registryHost, `/v2/${ref.path}/manifests/${reference}`, {
      method,
      headers: { accept: MANIFEST_ACCEPT },
      scope: pullScope(ref),
      what: `manifest ${ref.toString()}`,
    });
  };

  const getManifest: RegistryClient['getManifest'] = async (input) => {
    const ref = asReference(input);
    const what = `manifest ${ref.toString()}`;
    const { res, url } = await fetchManifest(ref, 'GET');
    if (res.statusCode !== 200) throw await toStatusError(res, what);
    const length = Number(header(res, 'content-length'));
    if (Number.isFinite(length) && length > limits.maxJsonBytes) {
      abandonBody(res);
      throw new PortcullisError('SOURCE_LIMIT_EXCEEDED', `${what}: ${length} bytes is over the limit`);
    }
    const data = await readBounded(
      toGuardedBody(res, url, { limits, signal: opts.signal, what }),
      limits.maxJsonBytes,
      what,
    );
    const mediaType = toBareMediaType(header(res, 'content-type'));
    const served = header(res, 'docker-content-digest');
    if (served !== undefined && !isDigest(served)) {
      throw new PortcullisError(
        'REGISTRY_PROTOCOL',
        `${what}: bad Docker-Content-Digest ${JSON.stringify(served)}`,
      );
    }
    if (ref.digest !== undefined && isDigest(ref.digest)) assertDigest(data, ref.digest, what);
    if (served !== undefined) assertDigest(data, served, what);
    const document = parseManifestDocument(data, mediaType, what);
    const digest = ref.digest ?? served ?? computeDigest(data);
    opts.onProgress?.({ kind: 'manifest', ref: ref.toString(), digest, mediaType: mediaType ?? '' });
    return { digest, mediaType, data, document };
  };

  const openBlob: RegistryClient['openBlob'] = async (repository, digest, blobOpts = {}) => {
    const repo = asRepository(repository);
    const what = `blob ${digest} of ${repo.repository}`;
    if (!isDigest(digest)) throw new PortcullisError('SOURCE_MANIFEST_INVALID', `${what}: not a digest`);
    let { res, url } = await call(repo.registryHost, `/v2/${repo.path}/blobs/${digest}`, {
      method: 'GET',
      scope: pullScope(repo),
      what,
    });
    for (let hops = 0; REDIRECTS.has(res.statusCode); hops++) {
      const location = header(res, 'location');
      await discardBody(res);
      if (!location || hops >= limits.maxRedirects) {
        throw new PortcullisError(
          'REGISTRY_PROTOCOL',
          `${what}: ${location ? 'too many redirects' : 'redirect without Location'}`,
        );
      }
      // Object stores reject (and must not see) registry credentials, so none follow the redirect.
      url = new URL(location, url);
      res = await transport.send(url, { method: 'GET', what });
    }
    if (res.statusCode !== 200) throw await toStatusError(res, what);
    const verifierOpts: Parameters<typeof createDigestVerifier>[1] = { what };
    if (blobOpts.size !== undefined) verifierOpts.size = blobOpts.size;
    if (opts.onProgress) {
      const onProgress = opts.onProgress;
      verifierOpts.onProgress = (p) => onProgress({ kind: 'blob', ...p });
    }
    const verifier = createDigestVerifier(digest, verifierOpts);
    pipeline(toGuardedBody(res, url, { limits, signal: opts.signal, what }), verifier, () => {});
    return verifier;
  };

  const listPaged = async (
    host: string,
    path: string,
    scope: string,
    field: 'tags' | 'repositories',
    what: string,
  ) => {
    const items: string[] = [];
    const seen = new Set<string>();
    let next: string | undefined = path;
    for (let page = 0; next !== undefined; page++) {
      if (page >= limits.maxPages) {
        throw new PortcullisError('SOURCE_LIMIT_EXCEEDED', `${what}: more than ${limits.maxPages} pages`);
      }
      if (seen.has(next))
        throw new PortcullisError('REGISTRY_PROTOCOL', `${what}: pagination loops back to ${next}`);
      seen.add(next);
      const { res, url } = await call(host, next, {
        method: 'GET',
        headers: { accept: 'application/json' },
        scope,
        what,
      });
      if (res.statusCode !== 200) throw await toStatusError(res, what);
      const link = res.headers.link;
      const body = toGuardedBody(res, url, { limits, signal: opts.signal, what });
      const data = await readBounded(body, limits.maxJsonBytes, what);
      let doc: Record<string, unknown>;
      try {
        doc = JSON.parse(data.toString('utf8')) as Record<string, unknown>;
      } catch (err) {
        throw new PortcullisError('REGISTRY_PROTOCOL', `${what}: invalid JSON`, { cause: err });
      }
      const list = doc?.[field];
      if (list !== null && list !== undefined && !Array.isArray(list)) {
        throw new PortcullisError('REGISTRY_PROTOCOL', `${what}: "${field}" is not an array`);
      }
      for (const item of list ?? []) if (typeof item === 'string') items.push(item);
      next = parseNextLink(link, url, what);
    }
    return items;
  };

  return {
    async ping(registry) {
      const host = toRegistryHost(registry);
      const { res, url } = await call(host, '/v2/', { method: 'GET', what: `registry ${host}` });
      if (res.statusCode !== 200) throw await toStatusError(res, `registry ${host}`);
      await discardBody(res);
      const result: PingResult = { origin: url.origin };
      const apiVersion = header(res, 'docker-distribution-api-version');
      if (apiVersion !== undefined) result.apiVersion = apiVersion;
      return result;
    },
    getManifest,
    async resolveDigest(input) {
      const ref = asReference(input);
      if (ref.digest !== undefined) return ref.digest;
      const { res } = await fetchManifest(ref, 'HEAD');
      if (res.statusCode !== 200) throw await toStatusError(res, `manifest ${ref.toString()}`);
      await discardBody(res);
      const served = header(res, 'docker-content-digest');
      if (served !== undefined && isDigest(served)) return served;
      return (await getManifest(ref)).digest;
    },
    openBlob,
    async readBlob(repository, digest, blobOpts = {}) {
      if (blobOpts.size !== undefined && blobOpts.size > limits.maxJsonBytes) {
        throw new PortcullisError(
          'SOURCE_LIMIT_EXCEEDED',
          `blob ${digest}: ${blobOpts.size} bytes is over the limit`,
        );
      }
      return readBounded(await openBlob(repository, digest, blobOpts), limits.maxJsonBytes, `blob ${digest}`);
    },
    listTags(repository, listOpts = {}) {
      const repo = asRepository(repository);
      const n = listOpts.pageSize !== undefined ? `?n=${listOpts.pageSize}` : '';
      return listPaged(
        repo.registryHost,
        `/v2/${repo.path}/tags/list${n}`,
        pullScope(repo),
        'tags',
        `tags of ${repo.repository}`,
      );
    },
    listCatalog(registry, listOpts = {}) {
      const host = toRegistryHost(registry);
      const n = listOpts.pageSize !== undefined ? `?n=${listOpts.pageSize}` : '';
      return listPaged(host, `/v2/_catalog${n}`, 'registry:catalog:*', 'repositories', `catalog of ${host}`);
    },
    close: () => transport.close(),
  };
}
