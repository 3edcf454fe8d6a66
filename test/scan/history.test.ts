import { describe, expect, it } from 'vitest';
import { mergeLayers, type LayerContents } from '../../core/src/layers/index.js';
import { LayerTracker } from '../../core/src/scan/history.js';
import type { EntryKind, ImageFile } from '../../core/src/types/file.js';

function layer(
  index: number,
  entries: [string, EntryKind][],
  whiteouts: string[] = [],
  opaqueDirs: string[] = [],
): LayerContents {
  return {
    digest: `sha256:${index}`,
    index,
    entries: entries.map(([path, kind]): ImageFile => ({
      path,
      kind,
      mode: 0o644,
      size: 1,
      uid: 0,
      gid: 0,
      layerDigest: `sha256:${index}`,
      layerIndex: index,
    })),
    whiteouts,
    opaqueDirs,
    compression: 'none',
    compressedBytes: 0,
    uncompressedBytes: 0,
    notes: [],
  };
}

const LAYERS = [
  layer(0, [
    ['/etc', 'dir'],
    ['/etc/motd', 'file'],
    ['/etc/keep', 'file'],
    ['/var', 'dir'],
    ['/var/log', 'dir'],
    ['/var/log/a.log', 'file'],
    ['/opt', 'dir'],
    ['/opt/app', 'dir'],
    ['/opt/app/bin', 'file'],
    ['/srv', 'dir'],
    ['/srv/data', 'file'],
    ['/home', 'dir'],
    ['/home/key', 'file'],
  ]),
  layer(
    1,
    [
      ['/etc/keep', 'file'],
      ['/opt/app', 'file'],
      ['/home/new', 'file'],
    ],
    ['/etc/motd'],
    ['/var/log'],
  ),
  layer(2, [['/srv/data', 'file']], ['/home']),
];

describe('LayerTracker', () => {
  describe('#hiddenStatus', () => {
    it('agrees with mergeLayers on every file of the lower layers', () => {
      const tracker = new LayerTracker(LAYERS.length);
      for (const l of LAYERS) tracker.complete(l);
      const view = mergeLayers(LAYERS);
      const fromMerge = new Map(view.hidden.map((f) => [`${f.layerIndex} ${f.path}`, f.hidden]));
      const checked: string[] = [];
      for (const l of LAYERS)
        for (const e of l.entries) {
          if (e.kind !== 'file') continue;
          const key = `${e.layerIndex} ${e.path}`;
          expect(tracker.hiddenStatus(e.path, e.layerIndex), key).toBe(fromMerge.get(key));
          checked.push(`${key} ${fromMerge.get(key) ?? 'visible'}`);
        }
      // the case list, so a change in the fixture cannot silently drop one
      expect(checked).toEqual([
        '0 /etc/motd deleted',
        '0 /etc/keep overwritten',
        '0 /var/log/a.log deleted',
        '0 /opt/app/bin deleted',
        '0 /srv/data overwritten',
        '0 /home/key deleted',
        '1 /etc/keep visible',
        '1 /opt/app visible',
        '1 /home/new deleted',
        '2 /srv/data visible',
      ]);
    });
  });

  describe('#isSettled', () => {
    it('is true for a layer once every layer above it has been read', () => {
      const tracker = new LayerTracker(3);
      expect(tracker.isSettled(2)).toBe(true);
      expect(tracker.isSettled(0)).toBe(false);
      tracker.complete(LAYERS[2]!);
      expect(tracker.isSettled(1)).toBe(true);
      expect(tracker.isSettled(0)).toBe(false);
      tracker.complete(LAYERS[1]!);
      expect(tracker.isSettled(0)).toBe(true);
    });
  });
});
