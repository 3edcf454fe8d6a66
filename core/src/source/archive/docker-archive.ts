import { createHash } from 'node:crypto';
import { PortcullisError, type Problem } from '../../errors.js';
import type { ImageMeta } from '../../types/image.js';
import { parseJson } from '../bytes.js';
import { computeDigest, isDigest } from '../digest.js';
import { parseImageConfig, toImageMeta, type LayerBlob } from '../meta.js';
import { MEDIA_TYPES } from '../manifest.js';
import type { SourceLimits } from '../types.js';
import type { FileStore } from './store.js';
import { isGzip } from './tar-store.js';

/** One entry of a docker-save `manifest.json`. */
export interface DockerSaveEntry {
  Config: string;
  RepoTags: string[];
  Layers: string[];
}

const DOCKER_LAYER_TAR = 'application/vnd.docker.image.rootfs.diff.tar';
const ZSTD_MAGIC = Buffer.from([0x28, 0xb5, 0x2f, 0xfd]);

/** Parses docker-save `manifest.json`, collecting every problem (SOURCE_MANIFEST_INVALID). */
export function parseDockerSaveManifest(data: Buffer, what: string): DockerSaveEntry[] {
  const doc = parseJson(data, what);
  const problems: Problem[] = [];
  if (!Array.isArray(doc) || doc.length === 0) {
    throw new PortcullisError('SOURCE_MANIFEST_INVALID', `${what}: expected a non-empty array of images`);
  }
  const entries = doc.map((e: unknown, i): DockerSaveEntry => {
    const r = (typeof e === 'object' && e !== null ? e : {}) as Record<string, unknown>;
    if (typeof r.Config !== 'string' || r.Config === '')
      problems.push({ path: `/${i}/Config`, message: 'must be a path' });
    if (!Array.isArray(r.Layers) || r.Layers.some((l) => typeof l !== 'string')) {
      problems.push({ path: `/${i}/Layers`, message: 'must be an array of paths' });
    }
    const tags = Array.isArray(r.RepoTags)
      ? r.RepoTags.filter((t): t is string => typeof t === 'string')
      : [];
    return {
      Config: String(r.Config),
      RepoTags: tags,
      Layers: Array.isArray(r.Layers) ? (r.Layers as string[]) : [],
    };
  });
  if (problems.length > 0) {
    const detail = problems.map((p) => `${p.path}: ${p.message}`).join('; ');
    throw new PortcullisError('SOURCE_MANIFEST_INVALID', `${what} is invalid: ${detail}`, { problems });
  }
  return entries;
}

/** The digest a content-addressed member path names (`blobs/sha256/<hex>`, `<hex>.json`, `<hex>.tar`). */
function digestFromPath(path: string): string | undefined {
  const blob = /^blobs\/(sha256|sha512)\/([a-f0-9]+)$/.exec(path);
  if (blob) {
    const d = `${blob[1]}:${blob[2]}`;
    return isDigest(d) ? d : undefined;
  }
  const flat = /^([a-f0-9]{64})\.(?:json|tar)$/.exec(path);
  return flat ? `sha256:${flat[1]}` : undefined;
}

function selectEntry(
  entries: DockerSaveEntry[],
  selector: string | undefined,
  label: string,
): DockerSaveEntry {
  if (selector === undefined) {
    if (entries.length === 1) return entries[0]!;
    const tags = entries.flatMap((e) => e.RepoTags).join(', ');
    throw new PortcullisError(
      'SOURCE_REFERENCE_INVALID',
      `${label} holds ${entries.length} images (${tags}); name one as docker-archive:PATH:TAG or :@INDEX`,
    );
  }
  const byIndex = /^@(\d+)$/.exec(selector);
  if (byIndex) {
    const e = entries[Number(byIndex[1])];
    if (e) return e;
  } else {
    const wanted = [selector, `docker.io/${selector}`, `docker.io/library/${selector}`];
    const e = entries.find((x) => x.RepoTags.some((t) => wanted.includes(t)));
    if (e) return e;
  }
  throw new PortcullisError('SOURCE_NOT_FOUND', `${label} has no image ${JSON.stringify(selector)}`);
}

/** Hashes a member (only for compressed layers whose name is not their digest; rare). */
async function hashMember(store: FileStore, path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of await store.openFile(path)) hash.update(chunk as Buffer);
  return `sha256:${hash.digest('hex')}`;
}

/**
 * Works out what each layer member is: its media type from its first bytes, and the digest to verify
 * it against — the name's digest when content-addressed, else the diffId when uncompressed.
 */
async function describeLayer(store: FileStore, path: string, diffId: string | undefined): Promise<LayerBlob> {
  const size = await store.sizeOf(path);
  if (size === undefined)
    throw new PortcullisError('SOURCE_BLOB_MISSING', `${store.label}: layer ${path} is missing`);
  const head = await store.readHead(path, 4);
  const compressed = isGzip(head) || head.equals(ZSTD_MAGIC);
  const mediaType = isGzip(head)
    ? MEDIA_TYPES.dockerLayerGzip
    : head.equals(ZSTD_MAGIC)
      ? MEDIA_TYPES.ociLayerZstd
      : DOCKER_LAYER_TAR;
  const named = path.startsWith('blobs/') ? digestFromPath(path) : undefined;
  const digest = named ?? (!compressed && diffId !== undefined ? diffId : await hashMember(store, path));
  return { digest, mediaType, size };
}

/** Reads a docker-save archive's `manifest.json` image (the caller checked the member exists). */
export async function readDockerArchive(
  store: FileStore,
  opts: { ref: string; selector?: string | undefined; limits: SourceLimits },
): Promise<{ meta: ImageMeta; layerPaths: Map<string, string> }> {
  const label = store.label;
  const entries = parseDockerSaveManifest(
    await store.readFile('manifest.json', opts.limits.maxJsonBytes),
    `${label}: manifest.json`,
  );
  const entry = selectEntry(entries, opts.selector, label);
  if (!(await store.has(entry.Config))) {
    throw new PortcullisError('SOURCE_BLOB_MISSING', `${label}: config ${entry.Config} is missing`);
  }
  const configData = await store.readFile(entry.Config, opts.limits.maxJsonBytes);
  const configDigest = computeDigest(configData);
  const named = digestFromPath(entry.Config);
  if (named !== undefined && named.startsWith('sha256:') && named !== configDigest) {
    throw new PortcullisError(
      'SOURCE_DIGEST_MISMATCH',
      `${label}: config ${entry.Config} is ${configDigest}, not the digest its name says`,
    );
  }
  const config = parseImageConfig(configData, `${label}: config ${entry.Config}`);
  const diffIds = config.rootfs?.diff_ids ?? [];
  const layerPaths = new Map<string, string>();
  const layers: LayerBlob[] = [];
  for (const [i, path] of entry.Layers.entries()) {
    const blob = await describeLayer(store, path, diffIds[i]);
    layers.push(blob);
    layerPaths.set(blob.digest, path);
  }
  const meta = toImageMeta({ ref: opts.ref, configDigest, config, layers, repoTags: entry.RepoTags });
  return { meta, layerPaths };
}
