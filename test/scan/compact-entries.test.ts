// The compact bookkeeping of every tar entry (issue 17): interned paths, entry columns and the merged
// view over them must give exactly what one object per entry and a Map gave — same files, same order,
// same hidden list — since reports list findings in view order.
import { describe, expect, it } from 'vitest';
import { EntryTable } from '../../core/src/layers/entry-table.js';
import { mergeLayers } from '../../core/src/layers/merge.js';
import { isWithin } from '../../core/src/layers/path.js';
import { PathTable } from '../../core/src/layers/path-table.js';
import type { LayerContents } from '../../core/src/layers/walker.js';
import { createLayerContents } from '../../core/src/layers/walker.js';
import type { EntryKind, ImageFile } from '../../core/src/types/file.js';

function file(path: string, layerIndex: number, kind: EntryKind = 'file', extra: Partial<ImageFile> = {}) {
  return {
    path,
    kind,
    mode: kind === 'dir' ? 0o755 : 0o644,
    size: kind === 'file' ? path.length * 7 : 0,
    uid: 0,
    gid: 0,
    layerDigest: `sha256:${layerIndex}`,
    layerIndex,
    ...extra,
  } satisfies ImageFile;
}

/** The merge as it was, one object per entry in a Map: the reference the compact view must equal. */
function referenceMerge(layers: readonly LayerContents[]): {
  files: Map<string, ImageFile>;
  hidden: ImageFile[];
} {
  const files = new Map<string, ImageFile>();
  const hidden: ImageFile[] = [];
  const hide = (f: ImageFile, how: 'deleted' | 'overwritten'): void => {
    if (f.kind === 'file') hidden.push({ ...f, hidden: how });
  };
  const removeTree = (dir: string, keepDir: boolean): void => {
    const target = files.get(dir);
    if (target && target.kind !== 'dir') {
      if (!keepDir) {
        hide(target, 'deleted');
        files.delete(dir);
      }
      return;
    }
    for (const [path, f] of files) {
      if (!isWithin(path, dir) || (keepDir && path === dir)) continue;
      hide(f, 'deleted');
      files.delete(path);
    }
  };
  for (const layer of [...layers].sort((a, b) => a.index - b.index)) {
    for (const d of layer.opaqueDirs) removeTree(d, true);
    for (const w of layer.whiteouts) removeTree(w, false);
    for (const e of layer.entries) {
      const previous = files.get(e.path);
      if (previous) {
        if (previous.kind === 'dir' && e.kind !== 'dir') removeTree(e.path, false);
        else if (previous.kind !== 'dir') hide(previous, 'overwritten');
      }
      files.set(e.path, e);
    }
  }
  return { files, hidden };
}

/** A deterministic pseudo-random image: overwrites, whiteouts, opaque dirs, files over dirs, unicode. */
function randomLayers(seed: number, count: number): LayerContents[] {
  let s = seed;
  const next = (n: number): number => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s % n;
  };
  const dirs = ['/etc', '/app', '/app/lib', '/app/lib/ü', '/usr/bin', '/opt/x y'];
  return Array.from({ length: count }, (_, index) => {
    const entries: ImageFile[] = [];
    for (let i = 0; i < 60; i++) {
      const dir = dirs[next(dirs.length)]!;
      const roll = next(10);
      if (roll === 0) entries.push(file(dir, index, 'dir'));
      else if (roll === 1 && index > 2)
        entries.push(file(dir, index, 'file')); // a file over a directory
      else if (roll === 2)
        entries.push(file(`${dir}/link${next(5)}`, index, 'symlink', { linkname: `../t${next(3)}` }));
      else
        entries.push(file(`${dir}/f${next(25)}`, index, 'file', { mtime: new Date(1_700_000_000_000 + i) }));
    }
    const whiteouts = index > 0 ? [`${dirs[next(dirs.length)]}/f${next(25)}`, dirs[next(dirs.length)]!] : [];
    const opaqueDirs = index > 0 && next(3) === 0 ? [dirs[next(dirs.length)]!] : [];
    return {
      digest: `sha256:${index}`,
      index,
      entries,
      whiteouts,
      opaqueDirs,
      compression: 'none',
      compressedBytes: 0,
      uncompressedBytes: 0,
      notes: [],
    } satisfies LayerContents;
  });
}

/** The same layers as `readLayer` keeps them: columns over one shared path table, nothing pinned. */
function toPacked(layers: readonly LayerContents[]): LayerContents[] {
  const paths = new PathTable();
  return layers.map((l) => {
    const table = new EntryTable(paths, l.digest, l.index);
    for (const e of l.entries) table.add(e);
    const { entries: _e, digest: _d, index: _i, ...rest } = l;
    return createLayerContents(table, rest);
  });
}

describe('PathTable', () => {
  it('interns each path once and gives it back, unicode, spaces and the root level included', () => {
    const paths = new PathTable();
    const all = Array.from({ length: 5000 }, (_, i) => `/d${i % 37}/sub ${i % 11}/ü-${i}.txt`);
    all.push('/top', '/a/b/c/d/e', '/日本/語');
    const ids = all.map((p) => paths.intern(p));
    expect(new Set(ids).size).toBe(all.length);
    expect(all.map((p) => paths.intern(p))).toEqual(ids); // again: the same ids, nothing new
    expect(paths.size).toBe(all.length);
    expect(ids.map((id) => paths.pathOf(id))).toEqual(all);
    expect(all.map((p) => paths.idOf(p))).toEqual(ids);
    expect(paths.dirPathOf(paths.idOf('/top')!)).toBe('/');
    expect(paths.dirPathOf(paths.idOf('/a/b/c/d/e')!)).toBe('/a/b/c/d');
  });

  it('does not find paths never interned, even beside known ones', () => {
    const paths = new PathTable();
    paths.intern('/etc/passwd');
    expect(paths.idOf('/etc/shadow')).toBeUndefined();
    expect(paths.idOf('/etc')).toBeUndefined();
    expect(paths.idOf('/var/passwd')).toBeUndefined();
    expect(paths.idOf('/etc/passwd')).toBe(0);
  });

  it('keeps every name intact when lookups of unknown names come between interns (they stage bytes too)', () => {
    const paths = new PathTable();
    const kept: string[] = [];
    for (let i = 0; i < 3000; i++) {
      // a long unknown name looked up, then a short new one interned where it was staged
      expect(paths.idOf(`/etc/${'x'.repeat(200)}-${i}-ü`)).toBeUndefined();
      const p = `/etc/n${i}`;
      paths.intern(p);
      kept.push(p);
    }
    expect(kept.map((p) => paths.pathOf(paths.idOf(p)!))).toEqual(kept);
    expect(paths.size).toBe(3000);
  });
});

describe('EntryTable', () => {
  it('gives back every header as it was recorded, and the pinned object itself', () => {
    const files = [
      file('/etc/passwd', 3, 'file', { mtime: new Date(1_700_000_000_123), uid: 7, gid: 9, mode: 0o4755 }),
      file('/usr/bin/sh', 3, 'symlink', { linkname: 'bash' }),
      file('/usr', 3, 'dir'),
      file('/big', 3, 'file', { size: 5 * 1024 ** 4 }),
    ];
    const table = new EntryTable(new PathTable(), 'sha256:3', 3);
    for (const f of files) table.add(f);
    expect(table.files()).toEqual(files);
    expect(table.fileAt(0)).not.toBe(files[0]);
    table.pin(0, files[0]!);
    expect(table.fileAt(0)).toBe(files[0]);
    expect(table.pinnedAt(1)).toBeUndefined();
  });
});

describe('mergeLayers over compact entries', () => {
  it.each([1, 2, 3, 4, 5, 6, 7, 8])(
    'gives the files, their order and the hidden list of a Map of objects (seed %i)',
    (seed) => {
      const layers = randomLayers(seed, 12);
      const reference = referenceMerge(layers);
      for (const view of [mergeLayers(layers), mergeLayers(toPacked(layers))]) {
        expect([...view.files.keys()]).toEqual([...reference.files.keys()]);
        expect([...view.files.values()]).toEqual([...reference.files.values()]);
        expect(view.files.size).toBe(reference.files.size);
        expect(view.hidden).toEqual(reference.hidden);
        for (const path of ['/etc', '/app/lib/f3', '/nowhere', '/app/lib/ü/f1'])
          expect(view.files.get(path)).toEqual(reference.files.get(path));
      }
      // the cases are not trivial
      expect(reference.hidden.some((f) => f.hidden === 'deleted')).toBe(true);
      expect(reference.hidden.some((f) => f.hidden === 'overwritten')).toBe(true);
    },
  );

  it('lists as handled only the files some analyzer kept, visible or hidden, as those very objects', () => {
    const paths = new PathTable();
    const lower = new EntryTable(paths, 'sha256:0', 0);
    const kept = file('/app/secret.env', 0);
    const plain = file('/app/plain.txt', 0);
    lower.pin(lower.add(kept), kept);
    lower.add(plain);
    const upper = new EntryTable(paths, 'sha256:1', 1);
    const keptUpper = file('/app/new.js', 1);
    upper.pin(upper.add(keptUpper), keptUpper);
    const rest = {
      opaqueDirs: [],
      compression: 'none' as const,
      compressedBytes: 0,
      uncompressedBytes: 0,
      notes: [],
    };
    const view = mergeLayers([
      createLayerContents(lower, { ...rest, whiteouts: [] }),
      createLayerContents(upper, { ...rest, whiteouts: ['/app/secret.env', '/app/plain.txt'] }),
    ] as LayerContents[]);
    expect([...view.handled()]).toEqual([keptUpper]);
    expect([...view.handled()][0]).toBe(keptUpper);
    const hidden = [...view.handledHidden()];
    expect(hidden).toHaveLength(1);
    expect(hidden[0]!.original).toBe(kept);
    expect(hidden[0]!.how).toBe('deleted');
    // the plain file is hidden too, just not handled
    expect(view.hidden.map((f) => f.path)).toEqual(['/app/secret.env', '/app/plain.txt']);
  });
});
