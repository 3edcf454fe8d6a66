import { describe, expect, it } from 'vitest';
import {
  npmAnalyzer,
  parseNpmLockfile,
  parseNpmPackageJson,
  selectUninstalledNpm,
} from '../../../core/src/analyzers/lang/npm.js';
import { LAYER, header, imageContext, imageFile, readFixture } from './helpers.js';

describe('npm', () => {
  describe('parseNpmPackageJson', () => {
    it('reads the installed lodash 4.17.15 of the multi image', () => {
      const [pkg, ...rest] = parseNpmPackageJson(
        readFixture('npm/app/node_modules/lodash/package.json'),
        'x',
      );
      expect(rest).toEqual([]);
      expect(pkg).toEqual({
        name: 'lodash',
        version: '4.17.15',
        type: 'npm',
        ecosystem: 'npm',
        purl: 'pkg:npm/lodash@4.17.15',
        licenses: ['MIT'],
      });
    });

    it('encodes the scope of a scoped package in the purl', () => {
      const [pkg] = parseNpmPackageJson(Buffer.from('{"name":"@babel/core","version":"7.0.0"}'), 'x');
      expect(pkg?.purl).toBe('pkg:npm/%40babel/core@7.0.0');
      expect(pkg?.name).toBe('@babel/core');
    });

    it('returns nothing for a manifest without a version', () => {
      expect(parseNpmPackageJson(Buffer.from('{"type":"module"}'), 'x')).toEqual([]);
    });

    it('throws ANALYZER_PARSE_FAILED on broken JSON', () => {
      expect(() => parseNpmPackageJson(Buffer.from('{"name":'), '/a/package.json')).toThrow(
        expect.objectContaining({ code: 'ANALYZER_PARSE_FAILED' }),
      );
    });
  });

  describe('parseNpmLockfile', () => {
    it('reads every non-dev package of a real v3 lock file, skipping the root', () => {
      const buf = readFixture('npm/portcullis-v3/package-lock.json');
      const doc = JSON.parse(buf.toString()) as {
        packages: Record<string, { version?: string; dev?: boolean }>;
      };
      const entries = Object.entries(doc.packages).filter(([k]) => k !== '');
      const dev = entries.filter(([, v]) => v.dev === true).map(([k]) => k);
      expect(dev.length).toBeGreaterThan(0);
      const pkgs = parseNpmLockfile(buf, '/p/package-lock.json');
      expect(pkgs).toHaveLength(entries.length - dev.length);
      expect(pkgs.some((p) => p.name === 'portcullis')).toBe(false);
      // dev-only packages are not inventory: `npm ci --omit=dev` never installs them
      expect(pkgs.some((p) => dev.includes(p.installPath))).toBe(false);
      const scoped = pkgs.find((p) => p.installPath === 'node_modules/@noble/hashes');
      expect(scoped?.purl).toBe(
        `pkg:npm/%40noble/hashes@${doc.packages['node_modules/@noble/hashes']?.version}`,
      );
      const nested = pkgs.find((p) => p.installPath === 'node_modules/tar-fs/node_modules/tar-stream');
      expect(nested?.name).toBe('tar-stream');
      expect(nested?.version).toBe(doc.packages['node_modules/tar-fs/node_modules/tar-stream']?.version);
    });

    it('reads a v2 lock from `packages`, skipping links, workspace folders and dev-only packages', () => {
      const pkgs = parseNpmLockfile(readFixture('npm/workspace-v2/package-lock.json'), 'x');
      // qs and @types/node are `"dev": true` in this lock
      expect(pkgs.map((p) => `${p.installPath} ${p.purl}`).sort()).toEqual([
        'node_modules/express pkg:npm/express@4.17.1',
      ]);
    });

    it('walks the v1 dependency tree, resolving aliases and skipping file/git versions and dev-only packages', () => {
      const pkgs = parseNpmLockfile(readFixture('npm/legacy-v1/package-lock.json'), 'x');
      expect(pkgs.map((p) => `${p.installPath} ${p.name}@${p.version}`).sort()).toEqual([
        'node_modules/debug debug@2.6.9',
        'node_modules/debug/node_modules/ms ms@2.0.0',
        'node_modules/lodash lodash@4.17.15',
        'node_modules/ms ms@2.1.2',
        'node_modules/string-width-cjs string-width@4.2.3',
      ]);
    });

    const nestedV1 = (depth: number): Buffer => {
      const open = Array.from(
        { length: depth },
        (_, i) => `{"p${i}":{"version":"1.0.0","dependencies":`,
      ).join('');
      return Buffer.from(`{"lockfileVersion":1,"dependencies":${open}{}${'}}'.repeat(depth)}}`);
    };

    it('walks a v1 tree 100 levels deep', () => {
      const pkgs = parseNpmLockfile(nestedV1(100), 'x');
      expect(pkgs).toHaveLength(100);
      expect(pkgs.at(-1)?.installPath.split('/node_modules/')).toHaveLength(100);
    });

    it('refuses a hostile 20,000-level v1 tree with ANALYZER_LIMIT_EXCEEDED', () => {
      expect(() => parseNpmLockfile(nestedV1(20_000), 'x')).toThrow(
        expect.objectContaining({ code: 'ANALYZER_LIMIT_EXCEEDED' }),
      );
    });

    it('throws ANALYZER_PARSE_FAILED on 50 MB of garbage', () => {
      const garbage = Buffer.alloc(50 * 1024 * 1024, 'garbage{');
      expect(() => parseNpmLockfile(garbage, 'x')).toThrow(
        expect.objectContaining({ code: 'ANALYZER_PARSE_FAILED' }),
      );
    });
  });

  describe('selectUninstalledNpm', () => {
    it('drops lock entries whose installed package.json has the same version, keeps the others', () => {
      const entries = parseNpmLockfile(
        readFixture('npm/legacy-v1/package-lock.json'),
        '/app/package-lock.json',
      );
      const lodash = imageFile(
        '/app/node_modules/lodash/package.json',
        readFixture('npm/app/node_modules/lodash/package.json'),
      );
      const oldMs = imageFile(
        '/app/node_modules/ms/package.json',
        Buffer.from('{"name":"ms","version":"2.1.3"}'),
      );
      const kept = selectUninstalledNpm(
        '/app/package-lock.json',
        entries,
        new Map([lodash, oldMs].map((f) => [f.path, f])),
      );
      expect(kept.map((p) => p.name)).not.toContain('lodash');
      expect(
        kept
          .filter((p) => p.name === 'ms')
          .map((p) => p.version)
          .sort(),
      ).toEqual(['2.0.0', '2.1.2']);
      expect(kept).toHaveLength(entries.length - 1);
    });
  });

  describe('npmAnalyzer', () => {
    it('selects installed manifests and lock files, not the project manifest', () => {
      expect(npmAnalyzer.required('/app/node_modules/lodash/package.json', header('/x', 50))).toBe(true);
      expect(npmAnalyzer.required('/app/node_modules/@babel/core/package.json', header('/x', 50))).toBe(true);
      expect(npmAnalyzer.required('/app/node_modules/a/node_modules/b/package.json', header('/x', 50))).toBe(
        true,
      );
      expect(npmAnalyzer.required('/app/package-lock.json', header('/x', 50))).toBe(true);
      expect(npmAnalyzer.required('/app/package.json', header('/x', 50))).toBe(false);
      expect(npmAnalyzer.required('/app/node_modules/a/esm/package.json', header('/x', 50))).toBe(false);
      expect(npmAnalyzer.required('/app/node_modules/.package-lock.json', header('/x', 50))).toBe(false);
      expect(
        npmAnalyzer.required('/app/node_modules/lodash/package.json', {
          ...header('/x', 50),
          kind: 'symlink',
        }),
      ).toBe(false);
    });

    it('reports the multi image lodash once, from node_modules, with layer and path', async () => {
      const lodashPath = '/app/node_modules/lodash/package.json';
      const lodash = imageFile(lodashPath, readFixture('npm/app/node_modules/lodash/package.json'));
      const lock = imageFile('/app/package-lock.json', readFixture('npm/legacy-v1/package-lock.json'));
      const perFile = await npmAnalyzer.analyze!(lodash, {});
      expect(perFile?.packages).toEqual([
        expect.objectContaining({ purl: 'pkg:npm/lodash@4.17.15', path: lodashPath, layerDigest: LAYER }),
      ]);
      expect(await npmAnalyzer.analyze!(lock, {})).toBeUndefined();
      const whole = await npmAnalyzer.analyzeImage!(imageContext([lodash, lock]));
      expect(whole?.packages?.some((p) => p.name === 'lodash')).toBe(false);
      expect(whole?.packages?.find((p) => p.name === 'debug')).toMatchObject({
        path: '/app/package-lock.json',
        version: '2.6.9',
      });
      expect(whole?.packages?.[0]).not.toHaveProperty('installPath');
    });

    it('turns a broken lock file into a note, not a failed scan', async () => {
      const lock = imageFile('/app/package-lock.json', Buffer.alloc(50 * 1024 * 1024, 0xfe));
      const r = await npmAnalyzer.analyzeImage!(imageContext([lock]));
      expect(r?.packages).toEqual([]);
      expect(r?.notes).toEqual([
        expect.objectContaining({ code: 'ANALYZER_PARSE_FAILED', path: '/app/package-lock.json' }),
      ]);
    });

    it('notes a required file whose content was not buffered', async () => {
      const r = await npmAnalyzer.analyze!(
        imageFile('/app/node_modules/x/package.json', undefined, 0o644, 9e9),
        {},
      );
      expect(r?.notes?.[0]?.code).toBe('ANALYZER_LIMIT_EXCEEDED');
    });

    it('reads a manifest seen before (another copy of the tree) to the same packages, at its own path', async () => {
      const manifest = Buffer.from('{"name":"left-pad","version":"1.3.0","license":"WTFPL"}');
      const first = await npmAnalyzer.analyze!(
        imageFile('/a/node_modules/left-pad/package.json', manifest),
        {},
      );
      const copy = Buffer.from(manifest);
      const second = await npmAnalyzer.analyze!(imageFile('/b/node_modules/left-pad/package.json', copy), {});
      expect(first?.packages?.[0]).toMatchObject({
        purl: 'pkg:npm/left-pad@1.3.0',
        path: '/a/node_modules/left-pad/package.json',
        licenses: ['WTFPL'],
      });
      expect(second?.packages?.[0]).toMatchObject({
        purl: 'pkg:npm/left-pad@1.3.0',
        path: '/b/node_modules/left-pad/package.json',
        licenses: ['WTFPL'],
      });
      // each answer its own objects: changing one cannot change what the next copy gets
      first?.packages?.[0]?.licenses?.push('MIT');
      const third = await npmAnalyzer.analyze!(imageFile('/c/node_modules/left-pad/package.json', copy), {});
      expect(third?.packages?.[0]?.licenses).toEqual(['WTFPL']);
    });

    it('never answers for other bytes, and notes a broken manifest every time it is met', async () => {
      const v1 = Buffer.from('{"name":"left-pad","version":"1.3.0"}');
      const v2 = Buffer.from('{"name":"left-pad","version":"1.3.1"}');
      await npmAnalyzer.analyze!(imageFile('/a/node_modules/left-pad/package.json', v1), {});
      const other = await npmAnalyzer.analyze!(imageFile('/b/node_modules/left-pad/package.json', v2), {});
      expect(other?.packages?.map((p) => p.purl)).toEqual(['pkg:npm/left-pad@1.3.1']);
      const broken = Buffer.from('{"name":"left-pad","version":');
      for (const dir of ['/a', '/b']) {
        const r = await npmAnalyzer.analyze!(
          imageFile(`${dir}/node_modules/left-pad/package.json`, broken),
          {},
        );
        expect(r?.packages).toBeUndefined();
        expect(r?.notes?.[0]).toMatchObject({
          code: 'ANALYZER_PARSE_FAILED',
          path: `${dir}/node_modules/left-pad/package.json`,
        });
      }
    });
  });
});
