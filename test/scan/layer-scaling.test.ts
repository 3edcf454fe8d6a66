// Issue 11 item 18: scan work grows linearly with the layer count (4,000 layers took 25 s: every completed
// layer walked every pending layer, and every file's hidden status walked every layer above it), and an
// image with more layers than `maxLayers` is refused before a layer is read.
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { Analyzer } from '../../core/src/analyzers/analyzer.js';
import { mergeLayers, type LayerContents } from '../../core/src/layers/index.js';
import { createAnalysisPlan, FileResults } from '../../core/src/scan/analyze.js';
import { LayerTracker } from '../../core/src/scan/history.js';
import { readAndAnalyzeLayers, readImageLayers } from '../../core/src/scan/scan.js';
import type { ImageSource } from '../../core/src/source/index.js';
import type { ImageFile } from '../../core/src/types/file.js';
import { makeTar } from '../helpers/tar.js';

const file = (path: string, index: number, kind: ImageFile['kind'] = 'file'): ImageFile => ({
  path,
  kind,
  mode: 0o644,
  size: 1,
  uid: 0,
  gid: 0,
  layerDigest: `sha256:${index}`,
  layerIndex: index,
});

/** Layer `i`: its own file, a file every layer rewrites, and the shared parent directory. */
function layerOf(i: number, extra: Partial<LayerContents> = {}): LayerContents {
  return {
    digest: `sha256:${i}`,
    index: i,
    entries: [file('/app', i, 'dir'), file(`/app/f${i}`, i), file('/etc/passwd', i)],
    whiteouts: [],
    opaqueDirs: [],
    compression: 'none',
    compressedBytes: 0,
    uncompressedBytes: 0,
    notes: [],
    ...extra,
  };
}

/** What a scan asks of the tracker for an image of `n` layers read in order: the work it took. */
function trackImage(n: number): number {
  const tracker = new LayerTracker(n);
  for (let i = 0; i < n; i++) {
    const layer = layerOf(i);
    for (const e of layer.entries) tracker.isSettled(e.layerIndex);
    tracker.complete(layer);
    tracker.takeSettled();
  }
  for (let i = 0; i < n; i++) {
    tracker.hiddenStatus(`/app/f${i}`, i);
    tracker.hiddenStatus('/etc/passwd', i);
  }
  return tracker.work;
}

describe('LayerTracker', () => {
  it('does linear work: 4x the layers is about 4x the steps (quadratic would be 16x)', () => {
    const small = trackImage(500);
    const large = trackImage(2000);
    expect(small).toBeGreaterThan(0);
    // n log n from the binary searches leaves room above 4x; quadratic growth could not stay under 6x
    expect(large / small).toBeLessThan(6);
  });

  it('gives every file the status the merge gives it', () => {
    const n = 40;
    const layers = Array.from({ length: n }, (_, i) =>
      layerOf(i, i === 20 ? { opaqueDirs: ['/app'] } : i === 30 ? { whiteouts: ['/app/f25'] } : {}),
    );
    // layer 35 puts a file where /app was: everything under /app below it is deleted
    layers[35] = { ...layers[35]!, entries: [file('/app', 35, 'file'), file('/etc/passwd', 35)] };
    const tracker = new LayerTracker(n);
    // complete out of order (two at a time, as the scan reads them)
    for (let i = 0; i < n; i += 2) {
      if (layers[i + 1]) tracker.complete(layers[i + 1]!);
      tracker.complete(layers[i]!);
    }
    const view = mergeLayers(layers);
    const hidden = new Map(view.hidden.map((f) => [`${f.layerIndex}:${f.path}`, f.hidden]));
    for (const layer of layers)
      for (const e of layer.entries) {
        if (e.kind !== 'file') continue;
        const merged = hidden.get(`${e.layerIndex}:${e.path}`);
        expect(tracker.hiddenStatus(e.path, e.layerIndex), `${e.path} of layer ${e.layerIndex}`).toBe(merged);
      }
    // not vacuous: all three kinds occur
    expect(new Set(hidden.values())).toEqual(new Set(['deleted', 'overwritten']));
    expect(tracker.hiddenStatus('/app/f39', 39)).toBeUndefined();
  });

  it('reports each layer as settled once, when every layer above it is read', () => {
    const tracker = new LayerTracker(4);
    expect(tracker.takeSettled()).toEqual([3]);
    tracker.complete(layerOf(1));
    expect(tracker.isSettled(1)).toBe(false);
    expect(tracker.takeSettled()).toEqual([]);
    tracker.complete(layerOf(3));
    expect(tracker.takeSettled()).toEqual([2]);
    tracker.complete(layerOf(2));
    expect(tracker.isSettled(0)).toBe(true);
    expect(tracker.takeSettled()).toEqual([1, 0]);
    expect(tracker.takeSettled()).toEqual([]);
  });
});

/** An in-memory image whose `count` layers are all the same tiny tar (a manifest may repeat a digest). */
async function repeatedLayers(count: number, opened: { n: number }): Promise<ImageSource> {
  const tar = await makeTar([{ name: 'etc/hostname', data: 'x\n' }]);
  return {
    meta: {
      ref: 'many',
      configDigest: `sha256:${'c'.repeat(64)}`,
      config: {},
      layers: Array.from({ length: count }, () => ({ digest: `sha256:${'a'.repeat(64)}` })),
    },
    openLayer: async () => {
      opened.n++;
      return Readable.from([tar]);
    },
    close: async () => undefined,
  };
}

const noAnalyzers: readonly Analyzer[] = [];

describe('the layer-count limit', () => {
  it('refuses 10,000 layers with LAYER_LIMIT_EXCEEDED before opening one', async () => {
    const opened = { n: 0 };
    const source = await repeatedLayers(10_000, opened);
    await expect(
      readAndAnalyzeLayers(source, createAnalysisPlan(noAnalyzers), new FileResults(), {}),
    ).rejects.toMatchObject({
      code: 'LAYER_LIMIT_EXCEEDED',
      message: 'the image has 10000 layers, more than the 1000-layer limit (maxLayers)',
    });
    await expect(readImageLayers(source, noAnalyzers, {})).rejects.toMatchObject({
      code: 'LAYER_LIMIT_EXCEEDED',
    });
    expect(opened.n).toBe(0);
  });

  it('is configurable, and an image at the limit is read', async () => {
    const opened = { n: 0 };
    const source = await repeatedLayers(5, opened);
    await expect(
      readImageLayers(source, noAnalyzers, { layerLimits: { maxLayers: 4 } }),
    ).rejects.toMatchObject({
      code: 'LAYER_LIMIT_EXCEEDED',
      message: expect.stringContaining('4-layer limit'),
    });
    const layers = await readImageLayers(source, noAnalyzers, { layerLimits: { maxLayers: 5 } });
    expect(layers).toHaveLength(5);
    expect(opened.n).toBe(5);
  });
});
