import { describe, expect, it } from 'vitest';
import {
  composerAnalyzer,
  parseComposerInstalled,
  parseComposerLock,
} from '../../../core/src/analyzers/lang/composer.js';
import { header, imageContext, imageFile, readFixture } from './helpers.js';

describe('composer', () => {
  describe('parseComposerInstalled', () => {
    it('reads the Composer 2 `{packages}` form, dropping the `v` of tags', () => {
      const pkgs = parseComposerInstalled(readFixture('composer/v2/vendor/composer/installed.json'), 'x');
      expect(pkgs.map((p) => p.purl)).toEqual([
        'pkg:composer/guzzlehttp/psr7@1.8.1',
        'pkg:composer/psr/http-message@1.0.1',
        'pkg:composer/symfony/http-kernel@5.4.19',
      ]);
      expect(pkgs[0]).toEqual({
        name: 'guzzlehttp/psr7',
        version: '1.8.1',
        type: 'composer',
        ecosystem: 'Packagist',
        purl: 'pkg:composer/guzzlehttp/psr7@1.8.1',
        licenses: ['MIT'],
      });
    });

    it('reads the Composer 1 list form', () => {
      const pkgs = parseComposerInstalled(readFixture('composer/v1/vendor/composer/installed.json'), 'x');
      expect(pkgs.map((p) => `${p.name}@${p.version}`)).toEqual(['monolog/monolog@1.25.1', 'psr/log@1.1.0']);
    });

    it('throws ANALYZER_PARSE_FAILED on other JSON', () => {
      expect(() => parseComposerInstalled(Buffer.from('{"x":1}'), 'x')).toThrow(
        expect.objectContaining({ code: 'ANALYZER_PARSE_FAILED' }),
      );
    });
  });

  describe('parseComposerLock', () => {
    it('reads packages and packages-dev', () => {
      const pkgs = parseComposerLock(readFixture('composer/v2/composer.lock'), 'x');
      expect(pkgs.map((p) => `${p.name}@${p.version}`)).toEqual([
        'guzzlehttp/psr7@1.8.1',
        'psr/http-message@1.0.1',
        'symfony/http-kernel@5.4.19',
        'twig/twig@2.14.3',
        'phpunit/phpunit@9.5.10',
      ]);
    });
  });

  describe('composerAnalyzer', () => {
    it('selects installed.json and composer.lock, not vendored locks', () => {
      const h = header('/x', 100);
      expect(composerAnalyzer.required('/srv/app/vendor/composer/installed.json', h)).toBe(true);
      expect(composerAnalyzer.required('/srv/app/composer.lock', h)).toBe(true);
      expect(composerAnalyzer.required('/srv/app/vendor/x/y/composer.lock', h)).toBe(false);
      expect(composerAnalyzer.required('/srv/app/composer.json', h)).toBe(false);
    });

    it('reports lock entries only when not installed at the same version', async () => {
      const installed = imageFile(
        '/srv/app/vendor/composer/installed.json',
        readFixture('composer/v2/vendor/composer/installed.json'),
      );
      const lock = imageFile('/srv/app/composer.lock', readFixture('composer/v2/composer.lock'));
      const perFile = await composerAnalyzer.analyze!(installed, {});
      expect(perFile?.packages).toHaveLength(3);
      expect(await composerAnalyzer.analyze!(lock, {})).toBeUndefined();
      const whole = await composerAnalyzer.analyzeImage!(imageContext([installed, lock]));
      expect(whole?.packages?.map((p) => `${p.name} ${p.path}`)).toEqual([
        'twig/twig /srv/app/composer.lock',
        'phpunit/phpunit /srv/app/composer.lock',
      ]);
      const alone = await composerAnalyzer.analyzeImage!(imageContext([lock]));
      expect(alone?.packages).toHaveLength(5);
    });

    it('turns a garbage lock file into a note', async () => {
      const r = await composerAnalyzer.analyzeImage!(
        imageContext([imageFile('/a/composer.lock', Buffer.from('<?php'))]),
      );
      expect(r?.notes).toEqual([
        expect.objectContaining({ code: 'ANALYZER_PARSE_FAILED', path: '/a/composer.lock' }),
      ]);
    });
  });
});
