import { describe, expect, it } from 'vitest';
import type { Analyzer, AnalysisResult, FileSink } from '../../core/src/analyzers/analyzer.js';
import { npmAnalyzer } from '../../core/src/analyzers/lang/npm.js';
import { mergeLayers } from '../../core/src/layers/index.js';
import {
  analyzeWholeImage,
  collectFileResults,
  createAnalysisPlan,
  FileResults,
} from '../../core/src/scan/analyze.js';
import { readAndAnalyzeLayers } from '../../core/src/scan/scan.js';
import type { ImageFile } from '../../core/src/types/file.js';
import { tarLayerSource, type TarEntry } from '../helpers/tar.js';

const pkg = (name: string, version: string) => JSON.stringify({ name, version });

/** A history analyzer that reads content (so it is deferred) and reports `hidden` as it saw it. */
const historyAnalyzer: Analyzer = {
  name: 'test-history',
  version: 1,
  scanner: 'secret',
  history: true,
  required: (path) => path.startsWith('/secrets/'),
  analyze: (file: ImageFile): AnalysisResult => ({
    findings: [
      {
        type: 'sensitive-file',
        id: `seen:${file.content?.toString()}`,
        severity: 'high',
        title: file.hidden ?? 'visible',
        location: { path: file.path, layerDigest: file.layerDigest },
      },
    ],
  }),
};

/** A streaming history analyzer: its findings on hidden files get `hidden` set by the scan. */
const streamingHistory: Analyzer = {
  name: 'test-stream-history',
  version: 1,
  scanner: 'malware',
  history: true,
  required: (path) => path.startsWith('/secrets/'),
  stream(file): FileSink {
    let bytes = 0;
    return {
      write: (c) => void (bytes += c.length),
      end: () => ({
        findings: [
          {
            type: 'malicious-sample',
            id: `bytes:${bytes}`,
            severity: 'low',
            title: 't',
            location: { path: file.path },
          },
        ],
      }),
    };
  },
};

async function analyse(layers: TarEntry[][], analyzers: Analyzer[]) {
  const source = await tarLayerSource(layers);
  const plan = createAnalysisPlan(analyzers);
  const results = new FileResults();
  const read = await readAndAnalyzeLayers(source, plan, results, {});
  const view = mergeLayers(read);
  return { collected: await collectFileResults(plan, view, results, {}), read, view, source };
}

describe('streaming analysis and the merged view', () => {
  it('keeps packages only from files a container would see', async () => {
    const { collected } = await analyse(
      [
        [
          { name: 'app/node_modules/gone/package.json', data: pkg('gone', '1.0.0') },
          { name: 'app/node_modules/replaced/package.json', data: pkg('replaced', '1.0.0') },
          { name: 'app/node_modules/kept/package.json', data: pkg('kept', '1.0.0') },
          { name: 'opt/lib/node_modules/inopaque/package.json', data: pkg('inopaque', '1.0.0') },
        ],
        [
          { name: 'app/node_modules/.wh.gone' },
          { name: 'app/node_modules/replaced/package.json', data: pkg('replaced', '2.0.0') },
          { name: 'opt/lib/node_modules/.wh..wh..opq' },
        ],
      ],
      [npmAnalyzer],
    );
    expect(collected.packages.map((p) => `${p.name}@${p.version}`).sort()).toEqual([
      'kept@1.0.0',
      'replaced@2.0.0',
    ]);
  });

  it('shows history analyzers hidden files with how they were hidden, after the merge', async () => {
    const { collected } = await analyse(
      [
        [
          { name: 'secrets/deleted', data: 'one' },
          { name: 'secrets/overwritten', data: 'two' },
          { name: 'secrets/kept', data: 'three' },
        ],
        [{ name: 'secrets/.wh.deleted' }, { name: 'secrets/overwritten', data: 'four' }],
      ],
      [historyAnalyzer],
    );
    expect(collected.findings.map((f) => `${f.id} ${f.title}`).sort()).toEqual([
      'seen:four visible',
      'seen:one deleted',
      'seen:three visible',
      'seen:two overwritten',
    ]);
  });

  it('marks findings of streaming history analyzers on hidden files as hidden', async () => {
    const { collected } = await analyse(
      [
        [
          { name: 'secrets/a', data: '12345' },
          { name: 'secrets/b', data: '12' },
        ],
        [{ name: 'secrets/.wh.a' }],
      ],
      [streamingHistory],
    );
    expect(collected.findings.map((f) => `${f.id} ${f.location.path} ${f.hidden ?? false}`).sort()).toEqual([
      'bytes:2 /secrets/b false',
      'bytes:5 /secrets/a true',
    ]);
  });

  it('drops content once analysed unless a deferred or whole-image analyzer needs it', async () => {
    const lock = JSON.stringify({ lockfileVersion: 3, packages: { '': {} } });
    const { view } = await analyse(
      [
        [
          { name: 'app/node_modules/x/package.json', data: pkg('x', '1.0.0') },
          { name: 'app/package-lock.json', data: lock },
          { name: 'secrets/k', data: 'v' },
        ],
      ],
      [npmAnalyzer, historyAnalyzer, streamingHistory],
    );
    // npm's whole-image step reads lock files again; an installed package.json left only its identity (the
    // whole-image step must not hold every manifest of the image); the history analyzer was done with its
    // file once the (only) layer was read
    expect(view.files.get('/app/package-lock.json')?.content?.toString()).toBe(lock);
    expect(view.files.get('/app/node_modules/x/package.json')?.content).toBeUndefined();
    expect(view.files.get('/secrets/k')?.content).toBeUndefined();
    const { view: v2 } = await analyse([[{ name: 'secrets/k', data: 'v' }]], [streamingHistory]);
    expect(v2.files.get('/secrets/k')?.content).toBeUndefined();
  });

  it('still reports a locked package once when its installed manifest was not kept', async () => {
    const lock = JSON.stringify({
      lockfileVersion: 3,
      packages: {
        '': { name: 'app' },
        'node_modules/x': { version: '1.0.0' },
        'node_modules/y': { version: '2.0.0' },
      },
    });
    const { collected, view, source } = await analyse(
      [
        [
          { name: 'app/node_modules/x/package.json', data: pkg('x', '1.0.0') },
          { name: 'app/node_modules/y/package.json', data: pkg('y', '2.0.1') },
          { name: 'app/package-lock.json', data: lock },
        ],
      ],
      [npmAnalyzer],
    );
    await analyzeWholeImage([npmAnalyzer], source.meta, view, undefined, {}, collected);
    const all = collected.packages.map((p) => `${p.name}@${p.version} ${p.path}`).sort();
    // x is installed at the locked version: reported once, from node_modules; y differs: both stay
    expect(all).toEqual([
      'x@1.0.0 /app/node_modules/x/package.json',
      'y@2.0.0 /app/package-lock.json',
      'y@2.0.1 /app/node_modules/y/package.json',
    ]);
  });

  it('notes a file over the per-layer buffer limit instead of buffering it', async () => {
    const source = await tarLayerSource([[{ name: 'secrets/big', data: 'x'.repeat(5000) }]]);
    const plan = createAnalysisPlan([historyAnalyzer]);
    const results = new FileResults();
    const read = await readAndAnalyzeLayers(source, plan, results, { layerLimits: { maxFileBuffer: 1000 } });
    expect(read[0]?.notes.map((n) => [n.code, n.path])).toEqual([['LAYER_FILE_TOO_LARGE', '/secrets/big']]);
    const collected = await collectFileResults(plan, mergeLayers(read), results, {});
    expect(collected.findings).toEqual([]);
  });
});
