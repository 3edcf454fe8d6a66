import { describe, expect, it } from 'vitest';
import { gemAnalyzer, parseGemspec } from '../../../core/src/analyzers/lang/ruby.js';
import { header, imageFile, readFixture } from './helpers.js';

describe('ruby', () => {
  describe('parseGemspec', () => {
    it('reads a RubyGems 3 generated specification (`.freeze` strings)', () => {
      expect(parseGemspec(readFixture('ruby/rack-2.2.3.gemspec'), 'x')).toEqual([
        {
          name: 'rack',
          version: '2.2.3',
          type: 'gem',
          ecosystem: 'RubyGems',
          purl: 'pkg:gem/rack@2.2.3',
          licenses: ['MIT'],
        },
      ]);
    });

    it('reads a frozen version string', () => {
      expect(parseGemspec(readFixture('ruby/rack-cors-2.0.0.gemspec'), 'x')[0]).toMatchObject({
        name: 'rack-cors',
        version: '2.0.0',
        purl: 'pkg:gem/rack-cors@2.0.0',
      });
    });

    it('reads an older specification without `.freeze`, with a prerelease version', () => {
      expect(parseGemspec(readFixture('ruby/rack-protection-2.0.0.beta2.gemspec'), 'x')[0]).toMatchObject({
        name: 'rack-protection',
        version: '2.0.0.beta2',
      });
    });

    it('reads hand-written `spec.` blocks with single quotes and Gem::Version', () => {
      const text =
        "Gem::Specification.new do |spec|\n  spec.name    = 'nokogiri'\n  spec.version = Gem::Version.new('1.13.10')\nend\n";
      expect(parseGemspec(Buffer.from(text), 'x')[0]).toMatchObject({ name: 'nokogiri', version: '1.13.10' });
    });

    it('throws ANALYZER_PARSE_FAILED when nothing names the gem', () => {
      expect(() => parseGemspec(Buffer.from('puts "hi"\n'), 'x')).toThrow(
        expect.objectContaining({ code: 'ANALYZER_PARSE_FAILED' }),
      );
    });
  });

  describe('gemAnalyzer', () => {
    it('selects installed specifications, including default gems', () => {
      const h = header('/x', 100);
      expect(gemAnalyzer.required('/usr/local/bundle/specifications/rack-2.2.3.gemspec', h)).toBe(true);
      expect(
        gemAnalyzer.required('/usr/lib/ruby/gems/3.1.0/specifications/default/json-2.6.1.gemspec', h),
      ).toBe(true);
      expect(gemAnalyzer.required('/app/rack.gemspec', h)).toBe(false);
    });

    it('turns a broken spec into a note', async () => {
      const r = await gemAnalyzer.analyze!(
        imageFile('/g/specifications/x.gemspec', Buffer.from('nothing')),
        {},
      );
      expect(r?.notes?.[0]).toMatchObject({
        code: 'ANALYZER_PARSE_FAILED',
        path: '/g/specifications/x.gemspec',
      });
    });
  });
});

describe('ruby on hostile input', () => {
  it('answers 4 MiB of blank lines quickly with a parse error', () => {
    const blank = Buffer.alloc(4 * 1024 * 1024, '\n');
    expect(() => parseGemspec(blank, 'x')).toThrow(
      expect.objectContaining({ code: 'ANALYZER_PARSE_FAILED' }),
    );
  });
});
