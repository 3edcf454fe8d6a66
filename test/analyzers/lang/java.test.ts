import { deflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  javaAnalyzer,
  parseJavaArchive,
  parseJavaArchiveDetailed,
  parseManifest,
} from '../../../core/src/analyzers/lang/java.js';
import { readZipEntries } from '../../../core/src/analyzers/lang/zip.js';
import { LAYER, header, imageFile, readFixture } from './helpers.js';

/** Rewrites the declared uncompressed size of every entry (central and local headers) to lie small. */
function lieAboutSizes(zip: Buffer, size: number): Buffer {
  const out = Buffer.from(zip);
  for (let i = 0; i + 4 <= out.length; i++) {
    const sig = out.readUInt32LE(i);
    if (sig === 0x02014b50) out.writeUInt32LE(size, i + 24);
    if (sig === 0x04034b50) out.writeUInt32LE(size, i + 22);
  }
  return out;
}

/** A one-entry zip whose entry is raw deflate data of `content`. */
function zipOf(name: string, content: Buffer): Buffer {
  const data = deflateRawSync(content);
  const n = Buffer.from(name);
  const loc = Buffer.alloc(30);
  loc.writeUInt32LE(0x04034b50, 0);
  loc.writeUInt16LE(8, 8);
  loc.writeUInt32LE(data.length, 18);
  loc.writeUInt32LE(content.length, 22);
  loc.writeUInt16LE(n.length, 26);
  const cen = Buffer.alloc(46);
  cen.writeUInt32LE(0x02014b50, 0);
  cen.writeUInt16LE(8, 10);
  cen.writeUInt32LE(data.length, 20);
  cen.writeUInt32LE(content.length, 24);
  cen.writeUInt16LE(n.length, 28);
  const cdOffset = 30 + n.length + data.length;
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(1, 8);
  eocd.writeUInt16LE(1, 10);
  eocd.writeUInt32LE(46 + n.length, 12);
  eocd.writeUInt32LE(cdOffset, 16);
  return Buffer.concat([loc, n, data, cen, n, eocd]);
}

describe('java', () => {
  describe('parseJavaArchive', () => {
    it('reads pom.properties of a jar built by the JDK', () => {
      expect(
        parseJavaArchive(readFixture('java/log4j-core-2.14.1.jar'), '/app/lib/log4j-core-2.14.1.jar'),
      ).toEqual([
        {
          name: 'org.apache.logging.log4j:log4j-core',
          version: '2.14.1',
          type: 'jar',
          ecosystem: 'Maven',
          purl: 'pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1',
        },
      ]);
    });

    it('falls back to MANIFEST.MF coordinates', () => {
      const [pkg] = parseJavaArchive(readFixture('java/jackson-databind-2.9.8.jar'), '/app/lib/x.jar');
      expect(pkg).toMatchObject({ name: 'com.fasterxml.jackson.core:jackson-databind', version: '2.9.8' });
      expect(pkg?.purl).toBe('pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.9.8');
    });

    it('falls back to the file name when the archive names nothing', () => {
      const zip = zipOf('demo/Hello.class', Buffer.from('cafebabe'));
      expect(parseJavaArchive(zip, '/opt/app/commons-text-1.9.jar')).toEqual([
        expect.objectContaining({ name: 'commons-text', version: '1.9', purl: 'pkg:maven/commons-text@1.9' }),
      ]);
    });

    it('reads the jars in a war', () => {
      const pkgs = parseJavaArchive(readFixture('java/webapp-1.0.0.war'), '/srv/webapp.war');
      expect(pkgs.map((p) => p.purl).sort()).toEqual([
        'pkg:maven/com.example/webapp@1.0.0',
        'pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.9.8',
        'pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1',
      ]);
    });

    it('opens nested archives to depth 3 and reports the deeper one as skipped', () => {
      const r = parseJavaArchiveDetailed(readFixture('java/nest0.jar'), '/app/nest0.jar');
      expect(r.packages.map((p) => `${p.name}@${p.version}`)).toEqual([
        'org.example:nest0@1.0.0',
        'org.example:nest1@1.0.1',
        'org.example:nest2@1.0.2',
        'org.example:nest3@1.0.3',
      ]);
      expect(r.skipped).toEqual([
        expect.objectContaining({
          code: 'ANALYZER_LIMIT_EXCEEDED',
          path: expect.stringMatching(/nest4\.jar$/),
        }),
      ]);
    });

    it('refuses a zip bomb by its declared size', () => {
      expect(() => parseJavaArchive(readFixture('java/bomb.war'), '/app/bomb.war')).toThrow(
        expect.objectContaining({ code: 'ANALYZER_LIMIT_EXCEEDED' }),
      );
    });

    it('refuses a zip bomb that lies about its size', () => {
      const liar = lieAboutSizes(readFixture('java/bomb.war'), 1000);
      expect(readZipEntries(liar, 'x', { bytes: 1e9, entries: 100 }).some((e) => e.size === 1000)).toBe(true);
      expect(() => parseJavaArchive(liar, '/app/bomb.war')).toThrow(
        expect.objectContaining({ code: 'ANALYZER_LIMIT_EXCEEDED' }),
      );
    });

    it('throws ANALYZER_PARSE_FAILED on a truncated archive', () => {
      const jar = readFixture('java/log4j-core-2.14.1.jar');
      expect(() => parseJavaArchive(jar.subarray(0, jar.length - 30), 'x.jar')).toThrow(
        expect.objectContaining({ code: 'ANALYZER_PARSE_FAILED' }),
      );
      expect(() => parseJavaArchive(Buffer.from('PK not really'), 'x.jar')).toThrow(
        expect.objectContaining({ code: 'ANALYZER_PARSE_FAILED' }),
      );
    });

    it('skips a corrupt nested jar but keeps the rest', () => {
      const outer = zipOf('WEB-INF/lib/broken-1.0.jar', Buffer.from('not a zip'));
      const r = parseJavaArchiveDetailed(outer, '/srv/app-2.0.war');
      expect(r.packages.map((p) => p.name)).toEqual(['app']);
      expect(r.skipped).toEqual([expect.objectContaining({ code: 'ANALYZER_PARSE_FAILED' })]);
    });
  });

  describe('parseManifest', () => {
    it('joins continuation lines and stops at the main section end', () => {
      const m = parseManifest(
        'Manifest-Version: 1.0\r\nBundle-SymbolicName: org.example.very.long.na\r\n me;singleton:=true\r\n\r\nName: x\r\nA: b\r\n',
      );
      expect(m.get('Bundle-SymbolicName')).toBe('org.example.very.long.name;singleton:=true');
      expect(m.has('A')).toBe(false);
    });
  });

  describe('javaAnalyzer', () => {
    it('selects jar, war, ear and par files', () => {
      const h = header('/x', 2000);
      for (const p of ['/a/b.jar', '/a/b.WAR', '/a/b.ear', '/a/b.par'])
        expect(javaAnalyzer.required(p, h)).toBe(true);
      expect(javaAnalyzer.required('/a/b.zip', h)).toBe(false);
    });

    it('reports packages at the outer archive and notes the skipped nested one', async () => {
      const r = await javaAnalyzer.analyze!(imageFile('/app/nest0.jar', readFixture('java/nest0.jar')), {});
      expect(r?.packages).toHaveLength(4);
      expect(r?.packages?.every((p) => p.path === '/app/nest0.jar' && p.layerDigest === LAYER)).toBe(true);
      expect(r?.notes).toEqual([
        expect.objectContaining({ code: 'ANALYZER_LIMIT_EXCEEDED', path: '/app/nest0.jar' }),
      ]);
    });

    it('turns a zip bomb into a note', async () => {
      const r = await javaAnalyzer.analyze!(imageFile('/app/bomb.war', readFixture('java/bomb.war')), {});
      expect(r).toEqual({
        notes: [expect.objectContaining({ code: 'ANALYZER_LIMIT_EXCEEDED', path: '/app/bomb.war' })],
      });
    });
  });
});
