// Issue 11 item 14: a package database the scan could not read completely leaves INVENTORY_INCOMPLETE, also
// when it is padded past the per-file buffer limit (its packages, and their vulnerabilities, would vanish).
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { dpkgAnalyzer } from '../../core/src/analyzers/pkg/index.js';
import { createAnalysisPlan, FileResults } from '../../core/src/scan/analyze.js';
import { readAndAnalyzeLayers } from '../../core/src/scan/scan.js';
import type { ImageSource } from '../../core/src/source/index.js';
import { makeTar } from '../helpers/tar.js';

const STATUS = 'Package: bash\nStatus: install ok installed\nVersion: 5.2.15-2\n\n';

async function sourceWith(status: string): Promise<ImageSource> {
  const tar = await makeTar([{ name: 'var/lib/dpkg/status', data: status }]);
  return {
    meta: {
      ref: 'test',
      configDigest: `sha256:${'c'.repeat(64)}`,
      config: {},
      layers: [{ digest: `sha256:${'a'.repeat(64)}` }],
    },
    openLayer: async () => Readable.from([tar]),
    close: async () => undefined,
  };
}

async function notesFor(status: string, maxFileBuffer: number): Promise<string[]> {
  const layers = await readAndAnalyzeLayers(
    await sourceWith(status),
    createAnalysisPlan([dpkgAnalyzer]),
    new FileResults(),
    { layerLimits: { maxFileBuffer } },
  );
  return layers.flatMap((l) => l.notes.map((n) => n.code));
}

describe('a package database over the buffer limit', () => {
  it('is an INVENTORY_INCOMPLETE note, besides LAYER_FILE_TOO_LARGE', async () => {
    const padded = STATUS + `Package: pad\nDescription: ${'x'.repeat(4000)}\n`;
    expect(await notesFor(padded, 1000)).toEqual(
      expect.arrayContaining(['LAYER_FILE_TOO_LARGE', 'INVENTORY_INCOMPLETE']),
    );
  });
  it('within the limit, no such note', async () => {
    expect(await notesFor(STATUS, 1000)).not.toContain('INVENTORY_INCOMPLETE');
  });
});
