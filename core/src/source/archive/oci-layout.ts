import { pipeline, type Readable } from 'node:stream';
import { PortcullisError } from '../../errors.js';
import type { ImageMeta, LayerInfo } from '../../types/image.js';
import { parseJsonObject } from '../bytes.js';
import { assertDigest, createDigestVerifier, parseDigest } from '../digest.js';
import {
  REF_NAME_ANNOTATION,
  parseManifestDocument,
  selectPlatform,
  type Descriptor,
  type ImageManifest,
  type Platform,
} from '../manifest.js';
import { parseImageConfig, toImageMeta } from '../meta.js';
import type { ProgressEvent, SourceLimits } from '../types.js';
import type { FileStore } from './store.js';

/** Path of a blob inside an OCI layout. */
export function toBlobPath(digest: string): string {
  const { algorithm, hex } = parseDigest(digest);
  return `blobs/${algorithm}/${hex}`;
}

/** Reads a JSON blob named by a descriptor, within limits, verified against its digest. */
export async function readVerifiedBlob(
  store: FileStore,
  d: Descriptor,
  limits: SourceLimits,
  what: string,
): Promise<Buffer> {
  if (d.size !== undefined && d.size > limits.maxJsonBytes) {
    throw new PortcullisError(
      'SOURCE_LIMIT_EXCEEDED',
      `${what} ${d.digest}: ${d.size} bytes is over the limit`,
    );
  }
  const path = toBlobPath(d.digest);
  if (!(await store.has(path))) {
    throw new PortcullisError('SOURCE_BLOB_MISSING', `${store.label}: ${what} ${d.digest} is missing`);
  }
  const data = await store.readFile(path, limits.maxJsonBytes);
  assertDigest(data, d.digest, `${store.label}: ${what}`);
  return data;
}

/** Streams a blob from a store through a digest verifier. */
export async function openVerifiedBlob(
  store: FileStore,
  path: string,
  layer: LayerInfo,
  onProgress?: (e: ProgressEvent) => void,
): Promise<Readable> {
  const source = await store.openFile(path);
  const opts: Parameters<typeof createDigestVerifier>[1] = { what: `${store.label}: layer ${layer.digest}` };
  if (layer.size !== undefined) opts.size = layer.size;
  if (onProgress) opts.onProgress = (p) => onProgress({ kind: 'blob', ...p });
  const verifier = createDigestVerifier(layer.digest, opts);
  // pipeline forwards a source error to the verifier and tears the source down if the reader stops.
  pipeline(source, verifier, () => {});
  return verifier;
}

async function checkLayoutVersion(store: FileStore): Promise<void> {
  if (!(await store.has('oci-layout'))) {
    throw new PortcullisError(
      'SOURCE_ARCHIVE_INVALID',
      `${store.label}: not an OCI layout (no oci-layout file)`,
    );
  }
  const doc = parseJsonObject(await store.readFile('oci-layout', 64 * 1024), `${store.label}: oci-layout`);
  const version = doc.imageLayoutVersion;
  if (typeof version !== 'string' || !/^1\.\d+\.\d+$/.test(version)) {
    throw new PortcullisError(
      'SOURCE_UNSUPPORTED',
      `${store.label}: unsupported OCI layout version ${JSON.stringify(version)}`,
    );
  }
}

function refNameMatches(d: Descriptor, tag: string): boolean {
  const name = d.annotations?.[REF_NAME_ANNOTATION];
  return name === tag || (name !== undefined && name.endsWith(`:${tag}`));
}

/** Options for reading an OCI layout. */
export interface OciLayoutOptions {
  /** What to put in `meta.ref`. */
  ref: string;
  /** Select the entry whose `org.opencontainers.image.ref.name` is this. */
  tag?: string | undefined;
  platform: Platform;
  limits: SourceLimits;
}

/** Follows index descriptors down to one image manifest, verifying each document. */
async function resolveManifest(
  store: FileStore,
  d: Descriptor,
  opts: OciLayoutOptions,
  depth: number,
  indexDigest: string | undefined,
): Promise<{ manifest: ImageManifest; digest: string; indexDigest: string | undefined }> {
  if (depth > opts.limits.maxIndexDepth) {
    throw new PortcullisError(
      'SOURCE_LIMIT_EXCEEDED',
      `${store.label}: indexes nested deeper than ${opts.limits.maxIndexDepth}`,
    );
  }
  const data = await readVerifiedBlob(store, d, opts.limits, 'manifest');
  const doc = parseManifestDocument(data, d.mediaType, `${store.label}: manifest ${d.digest}`);
  if (doc.kind === 'manifest') return { manifest: doc, digest: d.digest, indexDigest };
  const chosen = selectPlatform(doc, opts.platform, `${store.label}: index ${d.digest}`);
  return resolveManifest(store, chosen, opts, depth + 1, d.digest);
}

/** Picks the top-level entry of index.json by tag, or the only image there is. */
function selectTopLevel(entries: Descriptor[], opts: OciLayoutOptions, label: string): Descriptor {
  const candidates = opts.tag === undefined ? entries : entries.filter((d) => refNameMatches(d, opts.tag!));
  if (candidates.length === 0) {
    const what = opts.tag === undefined ? 'no images' : `no image tagged ${JSON.stringify(opts.tag)}`;
    throw new PortcullisError('SOURCE_NOT_FOUND', `${label}: index.json has ${what}`);
  }
  if (candidates.length === 1) return candidates[0]!;
  const names = new Set(candidates.map((d) => d.annotations?.[REF_NAME_ANNOTATION]));
  if (opts.tag === undefined && names.size > 1) {
    const list = [...names].filter((n) => n !== undefined).join(', ');
    throw new PortcullisError(
      'SOURCE_REFERENCE_INVALID',
      `${label} holds several images (${list}); name one as oci:DIR:TAG`,
    );
  }
  return selectPlatform({ kind: 'index', manifests: candidates }, opts.platform, `${label}: index.json`);
}

/** Reads an OCI image layout (directory or archive) down to one image's metadata. */
export async function readOciLayout(store: FileStore, opts: OciLayoutOptions): Promise<ImageMeta> {
  await checkLayoutVersion(store);
  if (!(await store.has('index.json'))) {
    throw new PortcullisError('SOURCE_ARCHIVE_INVALID', `${store.label}: OCI layout without index.json`);
  }
  const indexData = await store.readFile('index.json', opts.limits.maxJsonBytes);
  const index = parseManifestDocument(
    indexData,
    'application/vnd.oci.image.index.v1+json',
    `${store.label}: index.json`,
  );
  if (index.kind !== 'index') {
    throw new PortcullisError('SOURCE_MANIFEST_INVALID', `${store.label}: index.json is not an image index`);
  }
  const top = selectTopLevel(index.manifests, opts, store.label);
  const { manifest, digest, indexDigest } = await resolveManifest(store, top, opts, 0, undefined);
  const configData = await readVerifiedBlob(store, manifest.config, opts.limits, 'config');
  const config = parseImageConfig(configData, `${store.label}: config ${manifest.config.digest}`);
  return toImageMeta({
    ref: opts.ref,
    digest,
    indexDigest,
    configDigest: manifest.config.digest,
    config,
    layers: manifest.layers,
  });
}

/**
 * In a Docker 25+ archive (docker-save that is also an OCI layout), finds the manifest whose config is
 * `configDigest`, so an image read through manifest.json still gets its manifest digest. Blobs that
 * are absent are skipped (the layout spec allows it); anything that fails verification still fails.
 */
export async function findManifestByConfig(
  store: FileStore,
  configDigest: string,
  limits: SourceLimits,
): Promise<{ digest: string; indexDigest: string | undefined } | undefined> {
  if (!(await store.has('oci-layout')) || !(await store.has('index.json'))) return undefined;
  const index = parseManifestDocument(
    await store.readFile('index.json', limits.maxJsonBytes),
    'application/vnd.oci.image.index.v1+json',
    `${store.label}: index.json`,
  );
  if (index.kind !== 'index') return undefined;
  const walk = async (
    entries: Descriptor[],
    depth: number,
    parent: string | undefined,
  ): Promise<{ digest: string; indexDigest: string | undefined } | undefined> => {
    if (depth > limits.maxIndexDepth) return undefined;
    for (const d of entries) {
      if (!(await store.has(toBlobPath(d.digest)))) continue;
      const doc = parseManifestDocument(
        await readVerifiedBlob(store, d, limits, 'manifest'),
        d.mediaType,
        `${store.label}: manifest ${d.digest}`,
      );
      if (doc.kind === 'manifest' && doc.config.digest === configDigest)
        return { digest: d.digest, indexDigest: parent };
      if (doc.kind === 'index') {
        const found = await walk(doc.manifests, depth + 1, d.digest);
        if (found) return found;
      }
    }
    return undefined;
  };
  return walk(index.manifests, 0, undefined);
}
