import { PortcullisError, type Problem } from '../errors.js';
import { parseJsonObject } from './bytes.js';
import { isDigest } from './digest.js';

/** Media types from the OCI image spec and Docker's manifest v2 schema 2. */
export const MEDIA_TYPES = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerSchema1: 'application/vnd.docker.distribution.manifest.v1+json',
  dockerSchema1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  ociLayerTar: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
} as const;

/** Accept header for manifest requests: without it old registries answer schema1. */
export const MANIFEST_ACCEPT = [
  MEDIA_TYPES.ociIndex,
  MEDIA_TYPES.ociManifest,
  MEDIA_TYPES.dockerList,
  MEDIA_TYPES.dockerManifest,
].join(', ');

const INDEX_TYPES = new Set<string>([MEDIA_TYPES.ociIndex, MEDIA_TYPES.dockerList]);
const MANIFEST_TYPES = new Set<string>([MEDIA_TYPES.ociManifest, MEDIA_TYPES.dockerManifest]);
const CONFIG_TYPES = new Set<string>([MEDIA_TYPES.ociConfig, MEDIA_TYPES.dockerConfig]);
const SCHEMA1_TYPES = new Set<string>([MEDIA_TYPES.dockerSchema1, MEDIA_TYPES.dockerSchema1Signed]);

export const REF_NAME_ANNOTATION = 'org.opencontainers.image.ref.name';

/** `os/architecture[/variant]` */
export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

/** A content descriptor (only the fields we use). */
export interface Descriptor {
  mediaType?: string;
  digest: string;
  size?: number;
  platform?: Platform;
  annotations?: Record<string, string>;
}

export interface ImageIndex {
  kind: 'index';
  mediaType?: string;
  manifests: Descriptor[];
}

export interface ImageManifest {
  kind: 'manifest';
  mediaType?: string;
  config: Descriptor;
  layers: Descriptor[];
}

/** Drops parameters (`; charset=utf-8`) from a Content-Type. */
export function toBareMediaType(contentType: string | undefined | null): string | undefined {
  const bare = contentType?.split(';')[0]?.trim().toLowerCase();
  return bare ? bare : undefined;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function parseDescriptor(v: unknown, path: string, problems: Problem[]): Descriptor | undefined {
  if (!isRecord(v)) {
    problems.push({ path, message: 'descriptor must be an object' });
    return undefined;
  }
  const d: Descriptor = { digest: '' };
  if (isDigest(v.digest)) d.digest = v.digest;
  else
    problems.push({
      path: `${path}/digest`,
      message: `not a sha256/sha512 digest: ${JSON.stringify(v.digest)}`,
    });
  if (typeof v.mediaType === 'string') d.mediaType = v.mediaType;
  if (v.size !== undefined) {
    if (typeof v.size === 'number' && Number.isSafeInteger(v.size) && v.size >= 0) d.size = v.size;
    else problems.push({ path: `${path}/size`, message: 'size must be a non-negative integer' });
  }
  if (isRecord(v.platform)) {
    const p = v.platform;
    if (typeof p.os === 'string' && typeof p.architecture === 'string') {
      d.platform = { os: p.os, architecture: p.architecture };
      if (typeof p.variant === 'string') d.platform.variant = p.variant;
    }
  }
  if (isRecord(v.annotations)) {
    const a: Record<string, string> = {};
    for (const [k, val] of Object.entries(v.annotations)) if (typeof val === 'string') a[k] = val;
    d.annotations = a;
  }
  return d;
}

/**
 * Parses an image index or image manifest (OCI or Docker v2). Schema 1 is refused with
 * SOURCE_MANIFEST_UNSUPPORTED; malformed documents fail with SOURCE_MANIFEST_INVALID listing every problem.
 */
export function parseManifestDocument(
  data: Buffer,
  contentType: string | undefined,
  what: string,
): ImageIndex | ImageManifest {
  const declared = toBareMediaType(contentType);
  if (declared !== undefined && SCHEMA1_TYPES.has(declared)) {
    throw new PortcullisError(
      'SOURCE_MANIFEST_UNSUPPORTED',
      `${what}: Docker schema 1 manifests are not supported`,
    );
  }
  const doc = parseJsonObject(data, what);
  if (doc.schemaVersion === 1) {
    throw new PortcullisError(
      'SOURCE_MANIFEST_UNSUPPORTED',
      `${what}: Docker schema 1 manifests are not supported`,
    );
  }
  const problems: Problem[] = [];
  if (doc.schemaVersion !== 2) problems.push({ path: '/schemaVersion', message: 'must be 2' });
  const bodyType = typeof doc.mediaType === 'string' ? doc.mediaType : undefined;
  const mediaType = bodyType ?? declared;
  const isIndex =
    (mediaType !== undefined && INDEX_TYPES.has(mediaType)) ||
    (mediaType === undefined && Array.isArray(doc.manifests));
  if (!isIndex && mediaType !== undefined && !MANIFEST_TYPES.has(mediaType) && !INDEX_TYPES.has(mediaType)) {
    // Plain JSON content types are common on old registries; trust the body shape then.
    if (declared !== 'application/json' || bodyType !== undefined) {
      throw new PortcullisError(
        'SOURCE_MANIFEST_UNSUPPORTED',
        `${what}: unsupported manifest media type ${mediaType}`,
      );
    }
  }
  if (isIndex) {
    if (!Array.isArray(doc.manifests)) problems.push({ path: '/manifests', message: 'must be an array' });
    const manifests = Array.isArray(doc.manifests)
      ? doc.manifests.map((m, i) => parseDescriptor(m, `/manifests/${i}`, problems))
      : [];
    if (problems.length > 0) throw invalidDocument(what, problems);
    const index: ImageIndex = { kind: 'index', manifests: manifests as Descriptor[] };
    if (mediaType !== undefined) index.mediaType = mediaType;
    return index;
  }
  const config = parseDescriptor(doc.config, '/config', problems);
  if (!Array.isArray(doc.layers)) problems.push({ path: '/layers', message: 'must be an array' });
  const layers = Array.isArray(doc.layers)
    ? doc.layers.map((l, i) => parseDescriptor(l, `/layers/${i}`, problems))
    : [];
  if (problems.length > 0 || config === undefined) throw invalidDocument(what, problems);
  if (config.mediaType !== undefined && !CONFIG_TYPES.has(config.mediaType)) {
    throw new PortcullisError(
      'SOURCE_MANIFEST_UNSUPPORTED',
      `${what}: not a container image (config media type ${config.mediaType})`,
    );
  }
  const manifest: ImageManifest = { kind: 'manifest', config, layers: layers as Descriptor[] };
  if (mediaType !== undefined) manifest.mediaType = mediaType;
  return manifest;
}

function invalidDocument(what: string, problems: Problem[]): PortcullisError {
  const detail = problems.map((p) => `${p.path}: ${p.message}`).join('; ');
  return new PortcullisError('SOURCE_MANIFEST_INVALID', `${what} is not a valid manifest: ${detail}`, {
    problems,
  });
}

/** Parses `linux/arm64/v8`; SOURCE_REFERENCE_INVALID otherwise. */
export function parsePlatform(value: string): Platform {
  const parts = value.split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => !/^[a-z0-9._-]+$/i.test(p))) {
    throw new PortcullisError(
      'SOURCE_REFERENCE_INVALID',
      `invalid platform "${value}": expected os/arch[/variant]`,
    );
  }
  const platform: Platform = { os: parts[0]!.toLowerCase(), architecture: parts[1]!.toLowerCase() };
  if (parts[2] !== undefined) platform.variant = parts[2].toLowerCase();
  return platform;
}

export const DEFAULT_PLATFORM = 'linux/amd64';

// containerd's defaults: an arm64 image without a variant is v8, an arm one is v7.
const DEFAULT_VARIANTS: Record<string, string> = { arm64: 'v8', arm: 'v7' };

/** True when `candidate` can run as `wanted` (a wanted platform without variant accepts any variant). */
export function isPlatformMatch(wanted: Platform, candidate: Platform): boolean {
  if (wanted.os !== candidate.os || wanted.architecture !== candidate.architecture) return false;
  if (wanted.variant === undefined) return true;
  const have = candidate.variant ?? DEFAULT_VARIANTS[candidate.architecture];
  return have === wanted.variant;
}

/** True for BuildKit attestation manifests, which are not runnable images. */
export function isAttestation(d: Descriptor): boolean {
  return (
    d.annotations?.['vnd.docker.reference.type'] === 'attestation-manifest' ||
    (d.platform?.os === 'unknown' && d.platform.architecture === 'unknown')
  );
}

/**
 * Picks the first index entry for `wanted`, skipping attestations. Entries without a platform are a
 * fallback (OCI layouts often leave it out). Throws SOURCE_PLATFORM_NOT_FOUND.
 */
export function selectPlatform(index: ImageIndex, wanted: Platform, what: string): Descriptor {
  const usable = index.manifests.filter((d) => !isAttestation(d));
  const match = usable.find((d) => d.platform !== undefined && isPlatformMatch(wanted, d.platform));
  const chosen = match ?? usable.find((d) => d.platform === undefined);
  if (chosen) return chosen;
  const have = usable
    .map((d) =>
      d.platform
        ? [d.platform.os, d.platform.architecture, d.platform.variant].filter(Boolean).join('/')
        : '?',
    )
    .join(', ');
  const want = [wanted.os, wanted.architecture, wanted.variant].filter(Boolean).join('/');
  throw new PortcullisError(
    'SOURCE_PLATFORM_NOT_FOUND',
    `${what} has no ${want} image (it has: ${have || 'none'})`,
  );
}
