import { describe, expect, it } from 'vitest';
import {
  parsePythonMetadata,
  pythonAnalyzer,
  toPep503Name,
} from '../../../core/src/analyzers/lang/python.js';
import { LAYER, header, imageFile, readFixture } from './helpers.js';

describe('python', () => {
  describe('parsePythonMetadata', () => {
    it("reads Debian's requests 2.28.1 egg-info from the multi image", () => {
      expect(parsePythonMetadata(readFixture('python/requests-2.28.1.egg-info.PKG-INFO'), 'x')).toEqual([
        {
          name: 'requests',
          version: '2.28.1',
          type: 'pypi',
          ecosystem: 'PyPI',
          purl: 'pkg:pypi/requests@2.28.1',
          licenses: ['Apache 2.0'],
        },
      ]);
    });

    it("reads Debian's urllib3 1.26.12 egg-info, ignoring the long description body", () => {
      const [pkg] = parsePythonMetadata(readFixture('python/urllib3-1.26.12.egg-info.PKG-INFO'), 'x');
      expect(pkg).toMatchObject({
        name: 'urllib3',
        version: '1.26.12',
        purl: 'pkg:pypi/urllib3@1.26.12',
        licenses: ['MIT'],
      });
    });

    it('normalises names per PEP 503 and keeps the written name', () => {
      const [yaml] = parsePythonMetadata(readFixture('python/PyYAML-6.0.dist-info.METADATA'), 'x');
      expect(yaml).toMatchObject({
        name: 'pyyaml',
        originalName: 'PyYAML',
        version: '6.0',
        purl: 'pkg:pypi/pyyaml@6.0',
      });
      const [lazr] = parsePythonMetadata(readFixture('python/lazr.uri-1.0.6.egg-info.PKG-INFO'), 'x');
      expect(lazr).toMatchObject({
        name: 'lazr-uri',
        originalName: 'lazr.uri',
        purl: 'pkg:pypi/lazr-uri@1.0.6',
      });
    });

    it('toPep503Name collapses runs of separators', () => {
      expect(toPep503Name('Foo__Bar.-baz')).toBe('foo-bar-baz');
    });

    it('throws ANALYZER_PARSE_FAILED without Name and Version', () => {
      expect(() => parsePythonMetadata(Buffer.from('Metadata-Version: 2.1\nSummary: x\n'), 'x')).toThrow(
        expect.objectContaining({ code: 'ANALYZER_PARSE_FAILED' }),
      );
      expect(() => parsePythonMetadata(Buffer.alloc(1000, 0), 'x')).toThrow(
        expect.objectContaining({ code: 'ANALYZER_PARSE_FAILED' }),
      );
    });
  });

  describe('pythonAnalyzer', () => {
    it('selects dist-info METADATA, egg-info PKG-INFO and egg-info files', () => {
      const h = header('/x', 100);
      expect(
        pythonAnalyzer.required('/usr/lib/python3/dist-packages/requests-2.28.1.egg-info/PKG-INFO', h),
      ).toBe(true);
      expect(
        pythonAnalyzer.required('/usr/lib/python3.11/site-packages/PyYAML-6.0.dist-info/METADATA', h),
      ).toBe(true);
      expect(pythonAnalyzer.required('/usr/lib/python3/dist-packages/six-1.16.0.egg-info', h)).toBe(true);
      expect(
        pythonAnalyzer.required('/usr/lib/python3/dist-packages/requests-2.28.1.egg-info/requires.txt', h),
      ).toBe(false);
      expect(pythonAnalyzer.required('/usr/lib/python3/dist-packages/requests/__init__.py', h)).toBe(false);
    });

    it('reports the package at the file it was read from', async () => {
      const path = '/usr/lib/python3/dist-packages/urllib3-1.26.12.egg-info/PKG-INFO';
      const r = await pythonAnalyzer.analyze!(
        imageFile(path, readFixture('python/urllib3-1.26.12.egg-info.PKG-INFO')),
        {},
      );
      expect(r?.packages).toEqual([expect.objectContaining({ name: 'urllib3', path, layerDigest: LAYER })]);
    });

    it('turns unparsable metadata into a note', async () => {
      const r = await pythonAnalyzer.analyze!(imageFile('/x/a.egg-info', Buffer.from('garbage')), {});
      expect(r).toEqual({
        notes: [expect.objectContaining({ code: 'ANALYZER_PARSE_FAILED', path: '/x/a.egg-info' })],
      });
    });
  });
});
