import { describe, expect, it } from 'vitest';
import { toImagePath } from '../../core/src/layers/path.js';

/** The rule written out segment by segment: what every name must map to (or the code it must fail with). */
function reference(name: string): string {
  if (name.includes('\0')) return 'LAYER_PATH_UNSAFE';
  if (name.startsWith('/')) return 'LAYER_PATH_UNSAFE';
  const out: string[] = [];
  for (const seg of name.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (out.length === 0) return 'LAYER_PATH_UNSAFE';
      out.pop();
      continue;
    }
    out.push(seg);
  }
  return '/' + out.join('/');
}

function actual(name: string): string {
  try {
    return toImagePath(name, 4096);
  } catch (err) {
    return (err as { code: string }).code;
  }
}

describe('toImagePath', () => {
  it('maps every name built from tricky segments like the segment-by-segment rule', () => {
    const parts = ['usr', 'bin', '.', '..', '', '...', '.hidden', 'a..b', 'x.', '\0'];
    let seed = 7;
    const next = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let i = 0; i < 20_000; i++) {
      const segs = Array.from({ length: 1 + next(5) }, () => parts[next(parts.length)]!);
      const name = (next(4) === 0 ? './' : '') + segs.join('/') + (next(3) === 0 ? '/' : '');
      expect(actual(name), JSON.stringify(name)).toBe(reference(name));
    }
  });

  it('keeps plain names as they are, without a trailing slash', () => {
    expect(toImagePath('usr/bin/env', 4096)).toBe('/usr/bin/env');
    expect(toImagePath('etc/', 4096)).toBe('/etc');
    expect(toImagePath('', 4096)).toBe('/');
    expect(() => toImagePath('a'.repeat(11), 10)).toThrow(
      expect.objectContaining({ code: 'LAYER_LIMIT_EXCEEDED' }),
    );
  });
});
