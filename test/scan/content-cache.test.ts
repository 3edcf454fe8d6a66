import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ContentCache, DigestSet } from '../../core/src/analyzers/content-cache.js';
import { createMalwareAnalyzer } from '../../core/src/analyzers/malware/malware-analyzer.js';
import { createSecretAnalyzer } from '../../core/src/analyzers/secret/secret-analyzer.js';
import type {
  Analyzer,
  AnalysisResult,
  AnalyzerOptions,
  FileSink,
} from '../../core/src/analyzers/analyzer.js';
import { mergeLayers } from '../../core/src/layers/index.js';
import { collectFileResults, createAnalysisPlan, FileResults } from '../../core/src/scan/analyze.js';
import { readAndAnalyzeLayers } from '../../core/src/scan/scan.js';
import { tarLayerSource, type TarEntry } from '../helpers/tar.js';

const sha = (s: string): Buffer => createHash('sha256').update(s).digest();

async function findingsOf(layers: TarEntry[][], analyzers: Analyzer[], options: AnalyzerOptions = {}) {
  const source = await tarLayerSource(layers);
  const plan = createAnalysisPlan(analyzers);
  const results = new FileResults();
  const read = await readAndAnalyzeLayers(source, plan, results, { analyzerOptions: options });
  const collected = await collectFileResults(plan, mergeLayers(read), results, options);
  return collected.findings
    .map((f) => `${f.id} ${f.location.path} ${f.location.layerDigest?.slice(7, 9)} ${f.hidden ?? false}`)
    .sort();
}

describe('DigestSet', () => {
  it('holds what was added and nothing else, across growth', () => {
    const set = new DigestSet(4096);
    for (let i = 0; i < 3000; i++) set.add(sha(`in ${i}`));
    expect(set.size).toBe(3000);
    for (let i = 0; i < 3000; i++) expect(set.has(sha(`in ${i}`))).toBe(true);
    for (let i = 0; i < 3000; i++) expect(set.has(sha(`out ${i}`))).toBe(false);
    set.add(sha('in 1'));
    expect(set.size).toBe(3000);
  });

  it('starts over once its largest table is three quarters full: memory stays bounded', () => {
    const set = new DigestSet(16);
    for (let i = 0; i < 12; i++) set.add(sha(`d ${i}`));
    expect(set.size).toBe(12);
    set.add(sha('d 12'));
    expect(set.size).toBe(1);
    expect(set.has(sha('d 12'))).toBe(true);
    expect(set.has(sha('d 0'))).toBe(false);
  });

  it('refuses something that is not a SHA-256 digest', () => {
    expect(() => new DigestSet().add(Buffer.alloc(20, 1))).toThrow(RangeError);
  });
});

describe('ContentCache', () => {
  it('computes once per digest and variant, and again for another variant or digest', () => {
    const cache = new ContentCache<string>();
    let runs = 0;
    const compute = (v: string[]) => () => (runs++, v);
    expect(cache.getOrCompute(sha('a'), '', compute([]))).toEqual([]);
    expect(cache.getOrCompute(sha('a'), '', compute(['wrong']))).toEqual([]);
    expect(runs).toBe(1);
    expect(cache.getOrCompute(sha('a'), 'v2', compute(['x']))).toEqual(['x']);
    expect(cache.getOrCompute(sha('a'), 'v2', compute(['wrong']))).toEqual(['x']);
    expect(cache.getOrCompute(sha('b'), '', compute(['y']))).toEqual(['y']);
    expect(runs).toBe(3);
    expect(cache.hits).toBe(2);
  });

  it('keeps variants apart however many there are (past the few it keeps, it starts over)', () => {
    const cache = new ContentCache<string>();
    let runs = 0;
    const answer = (v: number) => () => (runs++, v % 3 === 0 ? [] : [`v${v}`]);
    for (let round = 0; round < 3; round++)
      for (let v = 0; v < 10; v++) {
        const want = v % 3 === 0 ? [] : [`v${v}`];
        // the same content under each variant: never another variant's answer, empty or not
        expect(cache.getOrCompute(sha('same'), `variant ${v}`, answer(v)), `round ${round}, ${v}`).toEqual(
          want,
        );
        expect(cache.getOrCompute(sha('same'), `variant ${v}`, () => ['wrong'])).toEqual(want);
      }
    // every first lookup computed (ten variants never fit), every second one hit
    expect(runs).toBe(30);
    expect(cache.hits).toBe(30);
  });
});

const KEY = 'ghp_' + 'A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8';

describe('repeated files in an image (content cache in the secret and malware analyzers)', () => {
  it('reports a secret in every copy, at its own path and layer, hidden copies included', async () => {
    const text = `token = "${KEY}"\n`;
    const layers: TarEntry[][] = [
      [
        { name: 'app/a/config.js', data: text },
        { name: 'app/b/config.js', data: text },
      ],
      [{ name: 'app/a/.wh.config.js' }, { name: 'copy/config.js', data: text }],
    ];
    const once = await findingsOf(layers, [createSecretAnalyzer()]);
    expect(once).toEqual([
      'PCS-SECRET-GITHUB-TOKEN /app/a/config.js 00 true',
      'PCS-SECRET-GITHUB-TOKEN /app/b/config.js 00 false',
      'PCS-SECRET-GITHUB-TOKEN /copy/config.js 11 false',
    ]);
    // the same analyzer again (its cache filled by the first scan) gives the same answer
    const analyzer = createSecretAnalyzer();
    await findingsOf(layers, [analyzer]);
    expect(await findingsOf(layers, [analyzer])).toEqual(once);
  });

  it('does not reuse an answer across paths a path-limited rule tells apart', async () => {
    const text = 'db:\n  password: "Zx81-qLm.44Tr0-9bnV"\n';
    const found = await findingsOf(
      [
        [
          { name: 'etc/app/settings.yaml', data: text },
          { name: 'etc/app/notes.md', data: text },
          { name: 'etc/app/other.yaml', data: text },
        ],
      ],
      [createSecretAnalyzer()],
    );
    expect(found).toEqual([
      'PCS-SECRET-PASSWORD-IN-CONFIG /etc/app/other.yaml 00 false',
      'PCS-SECRET-PASSWORD-IN-CONFIG /etc/app/settings.yaml 00 false',
    ]);
  });

  it('does not reuse an answer across policies that switch rules off', async () => {
    const analyzer = createSecretAnalyzer();
    const layers = [[{ name: 'srv/env.js', data: `x = "${KEY}"` }]];
    expect(await findingsOf(layers, [analyzer])).toHaveLength(1);
    expect(await findingsOf(layers, [analyzer], { secret: { items: ['password'] } })).toEqual([]);
    expect(await findingsOf(layers, [analyzer])).toHaveLength(1);
  });

  it('reports a miner config in every copy', async () => {
    const eicar = 'X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*';
    const found = await findingsOf(
      [[{ name: 'tmp/a.txt', data: eicar }], [{ name: 'tmp/b.txt', data: eicar }]],
      [createMalwareAnalyzer()],
    );
    expect(found).toEqual([
      'PCS-MALWARE-EICAR-TEST-FILE /tmp/a.txt 00 false',
      'PCS-MALWARE-EICAR-TEST-FILE /tmp/b.txt 11 false',
    ]);
  });

  it('computes one digest per file for every sink that asks, and none for a sink that stopped early', async () => {
    const seen: (string | undefined)[] = [];
    const asking = (name: string, stopAfterFirst: boolean): Analyzer => ({
      name,
      version: 1,
      scanner: 'secret',
      required: () => true,
      stream: (): FileSink => ({
        write: () => !stopAfterFirst,
        end: (digest?: Buffer): AnalysisResult => {
          seen.push(`${name} ${digest?.toString('hex') ?? 'none'}`);
          return {};
        },
        wantsDigest: true,
      }),
    });
    await findingsOf([[{ name: 'f', data: 'hello' }]], [asking('a', false), asking('b', true)]);
    expect(seen.sort()).toEqual([`a ${sha('hello').toString('hex')}`, 'b none']);
  });
});
