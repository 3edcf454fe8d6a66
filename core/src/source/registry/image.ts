import { PortcullisError } from '../../errors.js';
import type { LayerInfo } from '../../types/image.js';
import { DEFAULT_PLATFORM, parsePlatform, selectPlatform } from '../manifest.js';
import { parseImageConfig, toImageMeta } from '../meta.js';
import { toImageReference, type ImageReference } from '../reference.js';
import { resolveLimits, type ImageSource, type SourceOptions } from '../types.js';
import { createRegistryClient } from './client.js';

/** Opens an image from a registry: manifest (platform picked from an index), config, layers on demand. */
export async function openRegistryImage(
  ref: ImageReference,
  options: SourceOptions = {},
): Promise<ImageSource> {
  const limits = resolveLimits(options.limits);
  const platform = parsePlatform(options.platform ?? DEFAULT_PLATFORM);
  // one deadline for the whole image: manifests, config and every layer blob as the scan reads it
  const deadline = new AbortController();
  const timer = setTimeout(() => {
    deadline.abort(
      new PortcullisError(
        'REGISTRY_TIMEOUT',
        `the ${limits.registryImageTimeoutMs} ms deadline for ${ref.toString()} ran out (registry image deadline)`,
      ),
    );
  }, limits.registryImageTimeoutMs);
  timer.unref();
  const signal = options.signal ? AbortSignal.any([options.signal, deadline.signal]) : deadline.signal;
  const client = createRegistryClient({ ...options, signal });
  const close = async (): Promise<void> => {
    clearTimeout(timer);
    await client.close();
  };
  try {
    let fetched = await client.getManifest(ref);
    let indexDigest: string | undefined;
    for (let depth = 0; fetched.document.kind === 'index'; depth++) {
      if (depth >= limits.maxIndexDepth) {
        throw new PortcullisError(
          'SOURCE_LIMIT_EXCEEDED',
          `${ref.toString()}: indexes nested deeper than ${limits.maxIndexDepth}`,
        );
      }
      indexDigest = fetched.digest;
      const chosen = selectPlatform(fetched.document, platform, `index ${ref.repository}@${fetched.digest}`);
      fetched = await client.getManifest(
        toImageReference({ domain: ref.domain, path: ref.path, digest: chosen.digest }),
      );
    }
    const manifest = fetched.document;
    const configData = await client.readBlob(ref, manifest.config.digest, sizeOpt(manifest.config.size));
    const config = parseImageConfig(configData, `${ref.toString()}: config ${manifest.config.digest}`);
    const meta = toImageMeta({
      ref: ref.toString(),
      digest: fetched.digest,
      indexDigest,
      configDigest: manifest.config.digest,
      config,
      layers: manifest.layers,
    });
    const known = new Set(meta.layers.map((l) => l.digest));
    return {
      meta,
      openLayer: (layer: LayerInfo) => {
        if (!known.has(layer.digest)) {
          return Promise.reject(
            new PortcullisError('SOURCE_BLOB_MISSING', `${ref.toString()}: no layer ${layer.digest}`),
          );
        }
        return client.openBlob(ref, layer.digest, sizeOpt(layer.size));
      },
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

function sizeOpt(size: number | undefined): { size?: number } {
  return size === undefined ? {} : { size };
}
