/** Hard limits for reading one image's layers; exceeding any fails with LAYER_LIMIT_EXCEEDED. */
export interface LayerLimits {
  /** Tar entries per layer. */
  maxEntries: number;
  /** Bytes in one entry path. */
  maxPathLength: number;
  /** Bytes buffered for one file an analyzer requires; larger files are passed without content, with a note. */
  maxFileBuffer: number;
  /** Bytes buffered for all required files of one layer together. */
  maxBufferedPerLayer: number;
  /** Uncompressed bytes of one layer. */
  maxLayerBytes: number;
  /** Uncompressed ÷ compressed size, checked once a layer has expanded past `ratioFloorBytes`. */
  maxRatio: number;
  /** Below this many uncompressed bytes the ratio is not checked (tiny layers compress very well). */
  ratioFloorBytes: number;
  /** Symlinks followed while resolving one path. */
  maxSymlinkDepth: number;
  /**
   * Largest window a zstd frame may ask for (its decoder allocates the window up front). 32 MiB covers every
   * standard level (`zstd -19` uses 8 MiB) and `--long` up to 25; RFC 8878 asks decoders for at least 8 MiB.
   */
  maxZstdWindowBytes: number;
  /**
   * Layers in one image. Docker's overlay2 stacks at most 128 layers and registries commonly refuse more, so
   * 1,000 is generous; a 10,000-layer image is an attack on the scanner, not an image anyone runs.
   */
  maxLayers: number;
}

export const DEFAULT_LAYER_LIMITS: LayerLimits = {
  maxEntries: 2_000_000,
  maxPathLength: 4096,
  maxFileBuffer: 64 * 1024 * 1024,
  maxBufferedPerLayer: 512 * 1024 * 1024,
  maxLayerBytes: 32 * 1024 * 1024 * 1024,
  maxRatio: 200,
  ratioFloorBytes: 64 * 1024 * 1024,
  maxSymlinkDepth: 40,
  maxZstdWindowBytes: 32 * 1024 * 1024,
  maxLayers: 1000,
};

export function resolveLayerLimits(partial: Partial<LayerLimits> = {}): LayerLimits {
  return { ...DEFAULT_LAYER_LIMITS, ...partial };
}
