import { parseReference, toImageReference } from '../../reference.js';
import type { SourceOptions } from '../../types.js';
import { openRegistryImage } from '../image.js';
import { toIsoTime, toRegistrySourceOptions } from './api.js';
import type { CatalogImage, CatalogLister, CatalogListerOptions, RegistrySettings } from './types.js';

/**
 * The image config's `created` (build time; distribution has no push time), read through the existing
 * registry client: manifest (platform picked from an index), then the config blob. No layer is read.
 */
export async function readConfigCreatedAt(
  image: CatalogImage,
  options: SourceOptions,
  signal?: AbortSignal,
): Promise<string | undefined> {
  if (image.createdAt !== undefined) return image.createdAt;
  signal?.throwIfAborted();
  const parsed = parseReference(image.reference);
  // A digest pins what was listed, so a tag moved since listing does not change the answer.
  const ref =
    image.digest !== undefined
      ? toImageReference({ domain: parsed.domain, path: parsed.path, digest: image.digest })
      : parsed;
  const src = await openRegistryImage(ref, options);
  await src.close();
  return toIsoTime(src.meta.config.created);
}

/** `resolveCreatedAt` for a lister: pull options built once, on first use (credential env vars are read then). */
export function createCreatedAtResolver(
  settings: RegistrySettings,
  opts: CatalogListerOptions,
): CatalogLister['resolveCreatedAt'] {
  let options: SourceOptions | undefined;
  return (image, signal) =>
    readConfigCreatedAt(image, (options ??= toRegistrySourceOptions(settings, opts)), signal);
}
