// The compact bookkeeping of every tar entry (issue 17): interned paths, entry columns and the merged
// view over them must give exactly what one object per entry and a Map gave — same files, same order,
// same hidden list — since reports list findings in view order.
import { describe, expect, it } from 'vitest';
import { EntryTable } from '../../core/src/layers/entry-table.js';
import { filesWhere, mergeLayers, type FileHints } from '../../core/src/layers/merge.js';
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

describe('filesWhere (hints tested on the columns before anything is built)', () => {
  /** Layers whose names, directories and modes the hints tell apart (names of equal UTF-8 length too). */
  function hintedLayers(seed: number): LayerContents[] {
    let st = seed;
    const next = (n: number): number => {
      st = (Math.imul(st, 1103515245) + 12345) >>> 0;
      return st % n;
    };
    const dirs = [
      '',
      '/etc',
      '/etc/ssh',
      '/etc/sshd',
      '/var/cache/apt',
      '/var/cache/apt/archives',
      '/app',
      '/app/ü',
    ];
    // `package-lock.json` and `package-lock.jsoü` differ in one byte count: 17 and 18; `composer.lock` and
    // `composer.lockx` too; `ab.lock`/`ü.lock` share a UTF-8 length (7) but not a name
    const names = [
      'package-lock.json',
      'package-lock.jsoü',
      'composer.lock',
      'ab.lock',
      'ü.lock',
      'x.deb',
      'f',
    ];
    const modes = [0o644, 0o755, 0o4755, 0o2755, 0o777, 0o1777, 0o666];
    return Array.from({ length: 4 }, (_, index) => {
      const entries: ImageFile[] = [];
      for (let i = 0; i < 80; i++) {
        const path = `${dirs[next(dirs.length)]}/${names[next(names.length)]}${next(3) === 0 ? next(4) : ''}`;
        entries.push(file(path, index, next(8) === 0 ? 'dir' : 'file', { mode: modes[next(modes.length)]! }));
      }
      return {
        digest: `sha256:${index}`,
        index,
        entries,
        whiteouts: index > 0 ? [`${dirs[next(dirs.length)]}/${names[next(names.length)]}`] : [],
        opaqueDirs: [],
        compression: 'none',
        compressedBytes: 0,
        uncompressedBytes: 0,
        notes: [],
      } satisfies LayerContents;
    });
  }
  const hintSets: FileHints[] = [
    {},
    { names: ['package-lock.json', 'npm-shrinkwrap.json'] },
    { names: ['composer.lock'] },
    { names: ['ab.lock'] },
    { names: ['ü.lock', 'f'] },
    { inDir: (d) => d === '/var/cache/apt' || d.startsWith('/var/cache/apt/') },
    { inDir: (d) => d === '/' },
    { modeAny: 0o6000 },
    { modeAny: 0o002 },
    { modeAny: 0o002, inDir: (d) => d.startsWith('/etc'), names: ['f', 'ab.lock'] },
  ];
  const wants: ((p: string) => boolean)[] = [() => true, (p) => !p.includes('/app/'), (p) => p.endsWith('1')];

  it.each([1, 2, 3, 4, 5])(
    'yields what the same tests on a Map of objects yield, in order (seed %i)',
    (seed) => {
      const layers = hintedLayers(seed);
      const reference = referenceMerge(layers).files;
      let yielded = 0;
      for (const view of [mergeLayers(layers), mergeLayers(toPacked(layers))])
        for (const hints of hintSets)
          for (const wanted of wants) {
            const got = [...filesWhere(view.files, wanted, hints)];
            expect(got).toEqual([...filesWhere(reference, wanted, hints)]);
            yielded += got.length;
          }
      expect(yielded).toBeGreaterThan(100);
    },
  );

  it('each hint leaves out what it must: other names of the same length, other directories, other modes', () => {
    const layers = hintedLayers(9);
    const view = mergeLayers(toPacked(layers));
    const all = [...view.files.values()];
    const paths = (hints: FileHints): string[] =>
      [...filesWhere(view.files, () => true, hints)].map((f) => f.path);
    const named = paths({ names: ['ab.lock'] });
    expect(named.length).toBeGreaterThan(0);
    expect(named.every((p) => p.endsWith('/ab.lock'))).toBe(true);
    // `ü.lock` has the same byte length and is in the image, but is not named
    expect(all.some((f) => f.path.endsWith('/ü.lock'))).toBe(true);
    const apt = paths({ inDir: (d) => d === '/var/cache/apt' });
    expect(apt.length).toBeGreaterThan(0);
    expect(apt.every((p) => p.slice(0, p.lastIndexOf('/')) === '/var/cache/apt')).toBe(true);
    expect(all.some((f) => f.path.startsWith('/var/cache/apt/archives/'))).toBe(true);
    const setid = [...filesWhere(view.files, () => true, { modeAny: 0o6000 })];
    expect(setid.length).toBeGreaterThan(0);
    expect(setid.every((f) => (f.mode & 0o6000) !== 0)).toBe(true);
    expect(all.filter((f) => (f.mode & 0o6000) !== 0).length).toBe(setid.length);
    // top-level entries are in `/`
    expect(paths({ inDir: (d) => d === '/' }).every((p) => p.lastIndexOf('/') === 0)).toBe(true);
  });
});
