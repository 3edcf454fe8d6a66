export { readLayer, WHITEOUT_PREFIX, OPAQUE_WHITEOUT } from './walker.js';
export type { FileConsumer, LayerContents, ReadLayerOptions } from './walker.js';
export { mergeLayers, resolveInImage } from './merge.js';
export type { MergedView } from './merge.js';
export { DEFAULT_LAYER_LIMITS, resolveLayerLimits } from './limits.js';
export type { LayerLimits } from './limits.js';
export { sniffCompression } from './decompress.js';
export type { Compression } from './decompress.js';
export { toImagePath, joinInImage, isWithin } from './path.js';
