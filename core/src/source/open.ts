import { stat } from 'node:fs/promises';
import { PortcullisError, wrapError } from '../errors.js';
import type { LayerInfo } from '../types/image.js';
import { readDockerArchive } from './archive/docker-archive.js';
import { createDirStore } from './archive/dir-store.js';
import { findManifestByConfig, openVerifiedBlob, readOciLayout, toBlobPath } from './archive/oci-layout.js';
import type { FileStore } from './archive/store.js';
import { openTarStore } from './archive/tar-store.js';
import { DEFAULT_PLATFORM, parsePlatform } from './manifest.js';
import { parseReference } from './reference.js';
import { resolveLimits, type ImageSource, type SourceOptions } from './types.js';

/** Where an image comes from, as parsed from the user's `<image>` argument. */
export type ImageInput =
  | { kind: 'docker-archive'; path: string; selector?: string }
  | { kind: 'oci-archive'; path: string; tag?: string }
  | { kind: 'oci'; path: string; tag?: string }
  | { kind: 'archive'; path: string } // a plain file path; sniffed when opened
  | { kind: 'registry'; ref: string };

async function kindOf(path: string): Promise<'file' | 'dir' | undefined> {
  try {
    const s = await stat(path);
    return s.isDirectory() ? 'dir' : s.isFile() ? 'file' : undefined;
  } catch {
    return undefined;
  }
}

/** Splits `PATH[:SUFFIX]` where PATH itself may contain ':' — the longest existing prefix wins. */
async function splitPathSuffix(
  spec: string,
  want: 'file' | 'dir',
): Promise<{ path: string; suffix?: string }> {
  if ((await kindOf(spec)) === want) return { path: spec };
  for (let i = spec.lastIndexOf(':'); i > 0; i = spec.lastIndexOf(':', i - 1)) {
    const prefix = spec.slice(0, i);
    if ((await kindOf(prefix)) === want) return { path: prefix, suffix: spec.slice(i + 1) };
  }
  throw new PortcullisError('SOURCE_NOT_FOUND', `no such ${want === 'dir' ? 'directory' : 'file'}: ${spec}`);
}

const PATH_LIKE = /^(?:\/|\.{1,2}\/|~\/)|\.(?:tar|tar\.gz|tgz)$/;

/** Parses an image argument: transport prefixes, existing paths, else a registry reference. */
export async function parseImageInput(input: string): Promise<ImageInput> {
  const prefix = /^(docker-archive|oci-archive|oci|registry|docker):(.*)$/s.exec(input);
  if (prefix) {
    const [, transport, rest] = prefix as unknown as [string, string, string];
    if (transport === 'registry') return { kind: 'registry', ref: rest };
    if (transport === 'docker') return { kind: 'registry', ref: rest.replace(/^\/\//, '') };
    const { path, suffix } = await splitPathSuffix(rest, transport === 'oci' ? 'dir' : 'file');
    if (transport === 'docker-archive')
      return suffix ? { kind: transport, path, selector: suffix } : { kind: transport, path };
    return suffix
      ? { kind: transport as 'oci' | 'oci-archive', path, tag: suffix }
      : { kind: transport as 'oci' | 'oci-archive', path };
  }
  const kind = await kindOf(input);
  if (kind === 'dir') return { kind: 'oci', path: input };
  if (kind === 'file') return { kind: 'archive', path: input };
  if (PATH_LIKE.test(input))
    throw new PortcullisError('SOURCE_NOT_FOUND', `no such file or directory: ${input}`);
  return { kind: 'registry', ref: input };
}

/** An ImageSource over a FileStore (directory or archive). */
async function openStoreImage(
  store: FileStore,
  input: ImageInput,
  ref: string,
  options: SourceOptions,
): Promise<ImageSource> {
  const limits = resolveLimits(options.limits);
  const platform = parsePlatform(options.platform ?? DEFAULT_PLATFORM);
  // manifest.json first; Docker 25+ archives are also OCI layouts, so index.json is the fallback.
  const asDocker =
    (input.kind === 'docker-archive' || input.kind === 'archive') && (await store.has('manifest.json'));
  if (asDocker) {
    const selector = input.kind === 'docker-archive' ? input.selector : undefined;
    const { meta, layerPaths } = await readDockerArchive(store, { ref, selector, limits });
    const located = await findManifestByConfig(store, meta.configDigest, limits);
    if (located) {
      meta.digest = located.digest;
      if (located.indexDigest !== undefined) meta.indexDigest = located.indexDigest;
    }
    return {
      meta,
      openLayer: (layer: LayerInfo) => {
        const path = layerPaths.get(layer.digest);
        if (path === undefined) {
          return Promise.reject(
            new PortcullisError('SOURCE_BLOB_MISSING', `${ref}: no layer ${layer.digest}`),
          );
        }
        return openVerifiedBlob(store, path, layer, options.onProgress);
      },
      close: () => store.close(),
    };
  }
  const tag = input.kind === 'oci' || input.kind === 'oci-archive' ? input.tag : undefined;
  const meta = await readOciLayout(store, { ref, tag, platform, limits });
  const known = new Set(meta.layers.map((l) => l.digest));
  return {
    meta,
    openLayer: (layer: LayerInfo) => {
      if (!known.has(layer.digest)) {
        return Promise.reject(new PortcullisError('SOURCE_BLOB_MISSING', `${ref}: no layer ${layer.digest}`));
      }
      return openVerifiedBlob(store, toBlobPath(layer.digest), layer, options.onProgress);
    },
    close: () => store.close(),
  };
}

/**
 * Opens an image from `docker-archive:PATH[:TAG]`, `oci-archive:PATH[:TAG]`, `oci:DIR[:TAG]`,
 * `registry:REF`, a plain path (sniffed) or a plain registry reference.
 */
export async function openImage(input: string, options: SourceOptions = {}): Promise<ImageSource> {
  const parsed = await parseImageInput(input);
  if (parsed.kind === 'registry') {
    // the HTTP client (undici) loads only for registry images: archives and layouts start faster
    const { openRegistryImage } = await import('./registry/image.js');
    return openRegistryImage(parseReference(parsed.ref), options);
  }
  const limits = resolveLimits(options.limits);
  const store =
    parsed.kind === 'oci'
      ? createDirStore(parsed.path)
      : await openTarStore(parsed.path, {
          limits,
          tmpDir: options.tmpDir,
          onProgress: options.onProgress,
        }).catch((err: unknown) => {
          throw wrapError(err, `opening ${parsed.path}`, 'SOURCE_ARCHIVE_INVALID');
        });
  try {
    return await openStoreImage(store, parsed, input, options);
  } catch (err) {
    await store.close();
    throw err;
  }
}
