import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { isBaselineRequired } from '../../../core/src/analyzers/baseline/index.js';
import type { EntryKind, ImageFile } from '../../../core/src/types/file.js';
import type { ImageConfig } from '../../../core/src/types/image.js';

/**
 * Test-only stand-in for the layer walker: reads an unpacked layer directory into ImageFile headers
 * (content for the files the baseline analyzer requires), and merges layers applying whiteouts by name.
 */
export function readLayerDir(root: string, layerIndex: number, layerDigest: string): ImageFile[] {
  const out: ImageFile[] = [];
  const walk = (rel: string): void => {
    for (const name of readdirSync(join(root, rel))) {
      const relPath = rel === '' ? name : `${rel}/${name}`;
      if (relPath === '.done') continue;
      const abs = join(root, relPath);
      const st = lstatSync(abs);
      const kind: EntryKind = st.isSymbolicLink()
        ? 'symlink'
        : st.isDirectory()
          ? 'dir'
          : st.isFile()
            ? 'file'
            : 'other';
      const header = {
        path: `/${relPath}`,
        kind,
        mode: st.mode & 0o7777,
        size: kind === 'file' ? st.size : 0,
        uid: st.uid,
        gid: st.gid,
      };
      const file: ImageFile = {
        ...header,
        layerDigest,
        layerIndex,
        ...(kind === 'symlink' ? { linkname: readlinkSync(abs) } : {}),
        ...(isBaselineRequired(header.path, header) ? { content: readFileSync(abs) } : {}),
      };
      out.push(file);
      if (kind === 'dir') walk(relPath);
    }
  };
  walk('');
  return out;
}

/** Merges layers bottom-up: `.wh.NAME` deletes NAME (and below), `.wh..wh..opq` empties its directory. */
export function mergeLayers(layers: ImageFile[][]): Map<string, ImageFile> {
  const merged = new Map<string, ImageFile>();
  const removeUnder = (prefix: string, self: boolean): void => {
    for (const p of [...merged.keys()])
      if ((self && p === prefix) || p.startsWith(`${prefix}/`)) merged.delete(p);
  };
  for (const layer of layers) {
    for (const f of layer) {
      const slash = f.path.lastIndexOf('/');
      const dir = f.path.slice(0, slash);
      const name = f.path.slice(slash + 1);
      if (name === '.wh..wh..opq') removeUnder(dir, false);
      else if (name.startsWith('.wh.')) removeUnder(`${dir}/${name.slice(4)}`, true);
    }
    for (const f of layer)
      if (!f.path.slice(f.path.lastIndexOf('/') + 1).startsWith('.wh.')) merged.set(f.path, f);
  }
  return merged;
}

/** Reads `headers.tsv` written by test/fixtures/baseline/make-multi-fixture.sh. */
export function readHeadersTsv(text: string, layerDigests: readonly string[]): ImageFile[] {
  const kinds: Record<string, EntryKind> = { f: 'file', d: 'dir', l: 'symlink' };
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((line) => {
      const [layer, path, type, mode, uid, gid, size, link] = line.split('\t');
      const layerIndex = Number(layer);
      return {
        path: path as string,
        kind: kinds[type as string] ?? 'other',
        mode: parseInt(mode as string, 8),
        uid: Number(uid),
        gid: Number(gid),
        size: Number(size),
        layerIndex,
        layerDigest: layerDigests[layerIndex] as string,
        ...(link ? { linkname: link } : {}),
      };
    });
}

/** Image config and layer digests of an OCI layout tag. */
export function readOciImage(
  layoutDir: string,
  tag: string,
): { config: ImageConfig; configDigest: string; layers: string[] } {
  const blob = (digest: string): string =>
    readFileSync(join(layoutDir, 'blobs', 'sha256', digest.replace(/^sha256:/, '')), 'utf8');
  const index = JSON.parse(readFileSync(join(layoutDir, 'index.json'), 'utf8')) as {
    manifests: { digest: string; annotations?: Record<string, string> }[];
  };
  const entry = index.manifests.find((m) => m.annotations?.['org.opencontainers.image.ref.name'] === tag);
  if (entry === undefined) throw new Error(`tag ${tag} not in ${layoutDir}`);
  const manifest = JSON.parse(blob(entry.digest)) as {
    config: { digest: string };
    layers: { digest: string }[];
  };
  return {
    config: JSON.parse(blob(manifest.config.digest)) as ImageConfig,
    configDigest: manifest.config.digest,
    layers: manifest.layers.map((l) => l.digest),
  };
}
