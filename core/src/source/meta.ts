import { PortcullisError, type Problem } from '../errors.js';
import type { ImageConfig, ImageMeta, LayerInfo } from '../types/image.js';
import { parseJsonObject } from './bytes.js';
import { isDigest } from './digest.js';

/** Parses an image config blob; SOURCE_MANIFEST_INVALID when `rootfs.diff_ids` is unusable. */
export function parseImageConfig(data: Buffer, what: string): ImageConfig {
  const doc = parseJsonObject(data, what);
  const problems: Problem[] = [];
  const rootfs = doc.rootfs as { diff_ids?: unknown } | undefined;
  if (typeof rootfs !== 'object' || rootfs === null || !Array.isArray(rootfs.diff_ids)) {
    problems.push({ path: '/rootfs/diff_ids', message: 'must be an array' });
  } else {
    rootfs.diff_ids.forEach((d, i) => {
      if (!isDigest(d))
        problems.push({ path: `/rootfs/diff_ids/${i}`, message: 'not a sha256/sha512 digest' });
    });
  }
  if (doc.history !== undefined && !Array.isArray(doc.history)) {
    problems.push({ path: '/history', message: 'must be an array' });
  }
  if (problems.length > 0) {
    const detail = problems.map((p) => `${p.path}: ${p.message}`).join('; ');
    throw new PortcullisError('SOURCE_MANIFEST_INVALID', `${what} is not a valid image config: ${detail}`, {
      problems,
    });
  }
  return doc as ImageConfig;
}

/** A layer as the source found it, before it is zipped with the config. */
export interface LayerBlob {
  digest: string;
  mediaType?: string;
  size?: number;
}

/**
 * Builds ImageMeta: layers zipped with `rootfs.diff_ids`, and with history `created_by` where history
 * entries marked `empty_layer` are skipped (they have no diff_id).
 */
export function toImageMeta(input: {
  ref: string;
  digest?: string | undefined;
  indexDigest?: string | undefined;
  configDigest: string;
  config: ImageConfig;
  layers: LayerBlob[];
  repoTags?: string[] | undefined;
}): ImageMeta {
  const diffIds = input.config.rootfs?.diff_ids ?? [];
  if (diffIds.length !== input.layers.length) {
    throw new PortcullisError(
      'SOURCE_MANIFEST_INVALID',
      `image ${input.ref}: manifest names ${input.layers.length} layers but the config has ${diffIds.length} diff_ids`,
    );
  }
  const history = (input.config.history ?? []).filter(
    (h) => typeof h === 'object' && h !== null && !h.empty_layer,
  );
  const layers: LayerInfo[] = input.layers.map((blob, i) => {
    const layer: LayerInfo = { digest: blob.digest, diffId: diffIds[i]! };
    if (blob.mediaType !== undefined) layer.mediaType = blob.mediaType;
    if (blob.size !== undefined) layer.size = blob.size;
    const createdBy = history[i]?.created_by;
    if (typeof createdBy === 'string') layer.createdBy = createdBy;
    return layer;
  });
  const meta: ImageMeta = { ref: input.ref, configDigest: input.configDigest, config: input.config, layers };
  if (input.digest !== undefined) meta.digest = input.digest;
  if (input.indexDigest !== undefined) meta.indexDigest = input.indexDigest;
  if (input.repoTags !== undefined) meta.repoTags = input.repoTags;
  const { os, architecture, variant } = input.config;
  if (typeof os === 'string' && typeof architecture === 'string') {
    meta.platform = { os, architecture };
    if (typeof variant === 'string') meta.platform.variant = variant;
  }
  return meta;
}
