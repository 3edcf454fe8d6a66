import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSecretRules, type SecretRuleSet } from '../../../core/src/analyzers/secret/index.js';
import { readDefaultSecretRules } from '../../../core/src/analyzers/secret/redactor.js';
import {
  boundMatchExtent,
  keywordOffsetBound,
  requiredLiterals,
  startsWithKeyword,
} from '../../../core/src/analyzers/secret/pattern-safety.js';
import { scanText } from '../../../core/src/analyzers/secret/scan-text.js';

/**
 * The same rules with every keyword window and every literal a rule also needs removed: each rule runs over
 * the whole text of every text holding its keyword.
 */
function withoutWindows(rules: SecretRuleSet): SecretRuleSet {
  return { ...rules, content: rules.content.map(({ window: _w, alsoNeeds: _n, ...rest }) => rest) };
}

const shape = (rules: SecretRuleSet, text: string): unknown[] =>
  scanText(text, '/app/config.js', rules, () => true).map((m) => ({
    id: m.id,
    line: m.line,
    endLine: m.endLine,
    title: m.title,
    secrets: m.secrets,
  }));

/** A deterministic pseudo-random source (tests must not flake). */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/**
 * The longest string a value pattern of the vendor rules matches (the subset they use: literals, escapes,
 * classes, groups, alternation, bounded quantifiers), characters drawn at random from each class.
 */
function longest(source: string, next: () => number): string {
  let i = 0;
  const alternation = (): string => {
    const branches = [sequence()];
    while (source[i] === '|') {
      i++;
      branches.push(sequence());
    }
    return branches.reduce((a, b) => (b.length > a.length ? b : a));
  };
  const sequence = (): string => {
    let out = '';
    while (i < source.length && source[i] !== '|' && source[i] !== ')') {
      const one = atom();
      const q = /^(?:\{(\d+)(?:,(\d*))?\}|\?)/.exec(source.slice(i));
      if (!q) {
        out += one();
        continue;
      }
      i += q[0].length;
      const n = q[0] === '?' ? 1 : Number(q[2] ?? q[1]);
      for (let k = 0; k < n; k++) out += one();
    }
    return out;
  };
  const atom = (): (() => string) => {
    const c = source[i] as string;
    if (c === '\\') {
      const e = source[i + 1] as string;
      i += 2;
      return () => e;
    }
    if (c === '[') {
      const end = source.indexOf(']', i + 2);
      const body = source.slice(i + 1, end);
      i = end + 1;
      const chars: string[] = [];
      for (let k = 0; k < body.length; k++) {
        if (body[k + 1] === '-' && k + 2 < body.length) {
          for (let x = body.charCodeAt(k); x <= body.charCodeAt(k + 2); x++)
            chars.push(String.fromCharCode(x));
          k += 2;
        } else chars.push(body[k] as string);
      }
      return () => chars[Math.floor(next() * chars.length)] as string;
    }
    if (c === '(') {
      i += source[i + 1] === '?' ? 3 : 1;
      const inner = alternation();
      i++;
      return () => inner;
    }
    i++;
    return () => c;
  };
  return alternation();
}

describe('boundMatchExtent (the bound keyword windows rely on)', () => {
  it('bounds literals, classes, groups, alternation and bounded quantifiers', () => {
    expect(boundMatchExtent('abc')).toEqual({ maxLength: 3, maxLook: 0 });
    expect(boundMatchExtent('[a-z]{2,5}x?')).toEqual({ maxLength: 6, maxLook: 0 });
    expect(boundMatchExtent('(?:ab|cdef){2}')).toEqual({ maxLength: 8, maxLook: 0 });
    expect(boundMatchExtent('(?<v>[\\]x]{3})')).toEqual({ maxLength: 3, maxLook: 0 });
    // as JavaScript reads classes: `[^]` is any one character, and the `a]` after it two more
    expect(boundMatchExtent('[^]a]')).toEqual({ maxLength: 3, maxLook: 0 });
    expect(new RegExp('[^]a]').exec('xa]')?.[0]).toBe('xa]');
    expect(boundMatchExtent('(?<![a-z])k(?=[;,]|$)')).toEqual({ maxLength: 1, maxLook: 1 });
    expect(boundMatchExtent('\\bab(?=xyz)')).toEqual({ maxLength: 2, maxLook: 3 });
  });

  it('refuses unbounded quantifiers and back-references', () => {
    expect(boundMatchExtent('a+')).toBeUndefined();
    expect(boundMatchExtent('a*b')).toBeUndefined();
    expect(boundMatchExtent('a{2,}')).toBeUndefined();
    expect(boundMatchExtent('(a)\\1')).toBeUndefined();
    expect(boundMatchExtent('(?<q>a)\\k<q>')).toBeUndefined();
  });
});

describe('startsWithKeyword (the proof keyword-anchored windows rely on)', () => {
  it('holds when every spelling of the literal opening begins with a keyword', () => {
    expect(
      startsWithKeyword('\\b(https?|ftps?)://(?<user>[^:]{1,64}):x@', [
        'http://',
        'https://',
        'ftp://',
        'ftps://',
      ]),
    ).toBe(true);
    expect(startsWithKeyword('(?<![A-Za-z0-9])(?<secret>EAA[MC][A-Za-z0-9]{100})', ['eaam', 'eaac'])).toBe(
      true,
    );
    expect(
      startsWithKeyword('\\b(?<secret>gh[pousr]_[A-Za-z0-9]{36})\\b', [
        'ghp_',
        'gho_',
        'ghu_',
        'ghs_',
        'ghr_',
      ]),
    ).toBe(true);
    expect(startsWithKeyword('^mongodb(\\+srv)?://x', ['mongodb://', 'mongodb+srv://'])).toBe(true);
    // case is folded as the keyword finder folds it
    expect(startsWithKeyword('AKIA[A-Z0-9]{16}', ['akia'])).toBe(true);
  });

  it('fails whenever some match could start otherwise', () => {
    // one spelling ('http://') does not begin with the only keyword
    expect(startsWithKeyword('https?://x', ['https://'])).toBe(false);
    // the keyword is optional, repeated, or after something that is not literal
    expect(startsWithKeyword('(ghp_)?[a-z]{4}', ['ghp_'])).toBe(false);
    expect(startsWithKeyword('(ghp_){1,2}x', ['ghp_'])).toBe(false);
    expect(startsWithKeyword('[a-f0-9]{32}-us[0-9]', ['-us'])).toBe(false);
    expect(startsWithKeyword('\\sghp_x', ['ghp_'])).toBe(false);
    expect(startsWithKeyword('.ghp_x', ['ghp_'])).toBe(false);
    // a top-level alternative without the keyword, or one hidden in a group's other branch
    expect(startsWithKeyword('ghp_x|token', ['ghp_'])).toBe(false);
    expect(startsWithKeyword('(ghp_x|[a-z]ghp_)', ['ghp_'])).toBe(false);
    // a lookahead is not an opening; a class with a range is not a list of literals
    expect(startsWithKeyword('(?=ghp_)ghp_x', ['ghp_'])).toBe(false);
    expect(startsWithKeyword('gh[o-p]_x', ['ghp_', 'gho_'])).toBe(false);
    expect(startsWithKeyword('ghp_', [])).toBe(false);
  });

  it('bounds how far in a keyword starts: a gap of bounded length, then a literal part holding one', () => {
    expect(keywordOffsetBound('(?<![A-Za-z0-9])(?<secret>[a-f0-9]{32}-us[0-9]{1,2})', ['-us'])).toBe(32);
    expect(keywordOffsetBound('aws[_.-]?account[_.-]?(id)?', ['account'])).toBe(4);
    expect(keywordOffsetBound('(?<secret>[A-Za-z0-9_]{20,255}):x-oauth-basic@', ['x-oauth-basic'])).toBe(256);
    expect(keywordOffsetBound('^[ \\t]{0,20}token:', ['token:'])).toBe(20);
    // unbounded gaps, a gap after literal characters, a spelling without a keyword
    expect(keywordOffsetBound('[a-z]+x', ['x'])).toBeUndefined();
    expect(keywordOffsetBound('a[0-9]{3}key', ['key'])).toBeUndefined();
    expect(keywordOffsetBound('EZ[AT]K[A-Za-z0-9]{54}', ['ezak', 'ezat'])).toBeUndefined();
    expect(keywordOffsetBound('(x|y)key', ['key'])).toBe(1);
  });

  it('does not mistake escapes, classes or groups for the characters they contain', () => {
    // `\d` is a digit, `\x61` an `a`, not the letters after the backslash
    expect(keywordOffsetBound('\\dkey', ['dkey'])).toBeUndefined();
    expect(keywordOffsetBound('\\dkey', ['key'])).toBe(1);
    expect(keywordOffsetBound('\\x61b', ['ab'])).toBeUndefined();
    expect(keywordOffsetBound('\\(key\\)', ['(key)'])).toBe(0);
    // a `|` or `)` inside a class is not an alternation or a group's end
    expect(keywordOffsetBound('ab[)|]', ['ab'])).toBe(0);
    expect(keywordOffsetBound('(ab[)|]c|abd)', ['ab'])).toBe(0);
    expect(keywordOffsetBound('[)]x|key', ['key'])).toBeUndefined();
    // `[]` is an empty class and `[^]` any character (JavaScript), not classes holding a `]`
    expect(keywordOffsetBound('[]|]key', ['key'])).toBeUndefined();
    expect(keywordOffsetBound('[^]ab]key', ['key'])).toBeUndefined();
    expect(keywordOffsetBound('[^]ab]key', ['ab'])).toBe(1);
    expect(keywordOffsetBound('(?<=[)|])key', ['key'])).toBe(0);
    // lookarounds are zero-width only at the opening; a lookbehind later ends the literal part
    expect(keywordOffsetBound('a(?<=a)key', ['key'])).toBeUndefined();
    expect(keywordOffsetBound('(?<n>key)x', ['key'])).toBe(0);
    expect(keywordOffsetBound('(?:ke|k)y', ['key'])).toBeUndefined();
  });
});

describe('keyword windows (rules run around their keywords only)', () => {
  const rules = readDefaultSecretRules();
  const plain = withoutWindows(rules);
  // vendor-context rules: the keyword is the key's name, after up to 40 characters of key
  const isVendor = (r: (typeof rules.content)[number]): boolean =>
    r.regex.source.startsWith('(?<![A-Za-z0-9])(?<key>');
  const windowed = rules.content.filter((r) => r.window && isVendor(r));
  // a keyword at a proven offset of every match (keywordOffsetBound)
  const anchored = rules.content.filter((r) => r.window && !isVendor(r));

  it('windows are derived, never given: vendor templates and patterns with a keyword near their start', () => {
    expect(windowed.length).toBeGreaterThanOrEqual(60);
    for (const r of windowed) expect(r.window?.before, r.id).toBe(40);
    expect(anchored.length).toBeGreaterThanOrEqual(60);
    for (const r of anchored)
      expect(r.window?.before, r.id).toBe(keywordOffsetBound(r.regex.source, r.keywords));
    for (const id of [
      'PCS-SECRET-BASIC-AUTH-URL',
      'PCS-SECRET-GITHUB-TOKEN',
      'PCS-SECRET-MAILCHIMP-API-KEY',
      // their keywords did not cover every prefix their patterns match (EZTK, FLWPUBK-, vcc_)
      'PCS-SECRET-EASYPOST-TOKEN',
      'PCS-SECRET-FLUTTERWAVE-KEY',
      'PCS-SECRET-VERCEL-TOKEN',
    ])
      expect(anchored.map((r) => r.id)).toContain(id);
    for (const r of rules.content.filter((c) => !c.window)) {
      expect(r.regex.source).not.toMatch(/^\(\?<!\[A-Za-z0-9\]\)\(\?<key>/);
      if (!r.validate) expect(keywordOffsetBound(r.regex.source, r.keywords), r.id).toBeUndefined();
    }
  });

  it('a rule file cannot set a window itself', () => {
    const rule = (pattern: string): string =>
      `rules:\n  - id: PCS-SECRET-X\n    title: X\n    severity: low\n    remediation: r\n    category: token\n    pattern: '${pattern}'\n    keywords: [x]\n    window: { before: 0, after: 1, maxLook: 0 }\n`;
    const [unanchored] = parseSecretRules([{ source: 'x.yaml', text: rule('a[0-9]{3}x[0-9]{4}') }]).content;
    expect(unanchored?.window).toBeUndefined();
    // an anchored pattern gets the window its pattern proves, not the one the file names
    const [anchoredX] = parseSecretRules([{ source: 'x.yaml', text: rule('x[0-9]{4}') }]).content;
    expect(anchoredX?.window).toEqual({ before: 0, after: 5, maxLook: 0 });
  });

  it('rules windowed by keyword offset find exactly what the whole-text run finds (longest values, at text edges)', () => {
    const next = random(17);
    let total = 0;
    const samples: string[] = [
      `https://${'u'.repeat(64)}:${'p'.repeat(128)}@example.com`,
      `ftp://me:Zx81-qLm.44Tr0@[::1]/`,
      `postgresql://admin:S3cr3t-Pass@db.internal:5432/app`,
      `MONGODB+SRV://root:Wq8-zz.91kk@cluster0.example.net`,
    ];
    for (const r of anchored) {
      const open = r.regex.source.indexOf('(?<secret>');
      if (open === -1) continue;
      let depth = 0;
      let end = open;
      for (; end < r.regex.source.length; end++) {
        const c = r.regex.source[end];
        if (c === '\\') end++;
        else if (c === '(') depth++;
        else if (c === ')' && --depth === 0) break;
      }
      samples.push(longest(r.regex.source.slice(open + '(?<secret>'.length, end), next));
    }
    for (const s of samples) {
      for (const text of [s, ` ${s} `, `${'y'.repeat(300)}\n${s}`, `${s};${s.toUpperCase()} ${s}x`]) {
        const expected = shape(plain, text);
        total += expected.length;
        expect(shape(rules, text), text).toEqual(expected);
      }
    }
    // the samples must reach real matches, or the comparison proves little
    expect(total).toBeGreaterThan(anchored.length);
  });

  it('finds exactly what the whole-text run finds, on generated texts with keywords, values and noise', () => {
    const next = random(17);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)] as T;
    const alnum = 'abcdef0123456789ghijklmnopqrstuvwxyzABCDEF_-.=';
    const word = (n: number): string => Array.from({ length: n }, () => pick([...alnum])).join('');
    const hex = '0123456789abcdef';
    const lowerAlnum = 'abcdefghijklmnopqrstuvwxyz0123456789';
    const prefixes = ['', '', '', 'live_', 'test_pub_', '00', 'tfp_', 'su', 'YC', 'AQVN', 'b_', 'ion_'];
    const value = (): string => {
      const chars = pick([hex, lowerAlnum, lowerAlnum + 'ABCDEFGH', hex + '-']);
      const n = pick([12, 14, 16, 17, 22, 24, 25, 26, 30, 31, 32, 35, 36, 38, 40, 43, 44, 50, 64, 70]);
      return pick(prefixes) + Array.from({ length: n }, () => pick([...chars])).join('');
    };
    const seps = [' = ', ': ', '="', "':'", ' => ', '(', ', "', '\n', '\t', '>', '|', ' := ', '\\"'];
    let total = 0;
    for (let round = 0; round < 300; round++) {
      const parts: string[] = [];
      for (let j = 0; j < 30; j++) {
        const r = pick(windowed);
        const name = pick(r.keywords);
        const cased = next() < 0.3 ? name.toUpperCase() : name;
        parts.push(
          next() < 0.5 ? word(Math.floor(next() * 45)) : '',
          cased,
          word(Math.floor(next() * 25)),
          pick(seps),
          next() < 0.6 ? value() : word(Math.floor(next() * 70)),
          pick(['"', "'", ' ', ';', '\n', '', ')', 'x', 'İ']),
        );
      }
      const text = parts.join(pick(['', ' ', '\n', '  ']));
      const expected = shape(plain, text);
      total += expected.length;
      expect(shape(rules, text), text).toEqual(expected);
    }
    // the generator must reach real matches, or the comparison proves little
    expect(total).toBeGreaterThan(25);
  });

  it('finds the longest possible matches at the edges of the window (40-character keys, every optional part)', () => {
    const next = random(5);
    let total = 0;
    for (const r of windowed) {
      const valueSource = /\(\?<secret>(.*)\)\(\?=/.exec(r.regex.source)?.[1];
      expect(valueSource, r.id).toBeDefined();
      for (const before of [0, 39, 40, 41]) {
        const name = r.keywords.reduce((a, b) => (b.length > a.length ? b : a));
        const key = 'a1b2c3d4e5'.repeat(5).slice(0, before) + name + 'x'.repeat(20);
        const secret = longest(valueSource as string, next);
        for (const text of [
          `${key}\\"\\"\\"     :::=\\"\\"\\"\\"\\"${secret}"`,
          `#${key}\\"\\"\\"     :::=\\"\\"\\"\\"\\"${secret}`,
          `${'y'.repeat(200)} ${key} = ${secret};${' '.repeat(300)}${key}: '${secret}'`,
        ]) {
          const expected = shape(plain, text);
          total += expected.length;
          expect(shape(rules, text), `${r.id}: ${text}`).toEqual(expected);
        }
      }
    }
    expect(total).toBeGreaterThan(windowed.length * 4);
  });

  it('finds exactly what the whole-text run finds on the secret fixtures', () => {
    const dir = join(import.meta.dirname, '..', '..', 'fixtures', 'secrets');
    const files: string[] = [];
    const walk = (d: string): void => {
      for (const n of readdirSync(d)) {
        const p = join(d, n);
        if (statSync(p).isDirectory()) walk(p);
        else files.push(p);
      }
    };
    walk(dir);
    expect(files.length).toBeGreaterThan(5);
    for (const f of files) {
      const text = readFileSync(f, 'utf8');
      expect(shape(rules, text), f).toEqual(shape(plain, text));
    }
  });
});

describe('keywordOffsetBound on random patterns (the bound must hold for every match the pattern finds)', () => {
  type Node =
    | { kind: 'lit'; ch: string }
    | { kind: 'cls'; chars: string; src: string }
    | { kind: 'any'; pick: (r: () => number) => string; src: string }
    | { kind: 'group'; alts: Node[][]; open: string }
    | { kind: 'look'; src: string }
    | { kind: 'rep'; node: Node; min: number; max: number; src: string };
  const LITS = 'abcdswxyzAB01_-:/.@+()|';
  const ESCAPE = new Set(['.', '+', '/', '(', ')', '|']);
  const pickOf = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;

  function atom(r: () => number, depth: number): Node {
    const k = r();
    if (k < 0.4) return { kind: 'lit', ch: pickOf(r, [...LITS]) };
    if (k < 0.55) {
      const chars = [
        ...new Set(Array.from({ length: 1 + Math.floor(r() * 4) }, () => pickOf(r, [...'abcxyz01_.']))),
      ];
      if (r() < 0.3) chars.push('-');
      return { kind: 'cls', chars: chars.join(''), src: `[${chars.join('')}]` };
    }
    if (k < 0.7) {
      // escapes that are one character but not literal punctuation: `\x61` is `a`, `\t` a tab
      const which = pickOf(r, ['\\d', '\\w', '\\s', '.', '[a-c]', '[^a]', '\\x61', '\\t', '[\\da]', '[)|(]']);
      const pick = (rr: () => number): string =>
        which === '\\d'
          ? pickOf(rr, [...'0123456789'])
          : which === '\\w'
            ? pickOf(rr, [...'abcdswxyzAB01_'])
            : which === '\\s'
              ? pickOf(rr, [' ', '\t'])
              : which === '[a-c]'
                ? pickOf(rr, [...'abc'])
                : which === '\\x61'
                  ? 'a'
                  : which === '\\t'
                    ? '\t'
                    : which === '[\\da]'
                      ? pickOf(rr, [...'0a9'])
                      : which === '[)|(]'
                        ? pickOf(rr, [...')|('])
                        : pickOf(rr, [...'bcdsxyz01_:/.@-']);
      return { kind: 'any', pick, src: which };
    }
    if (k < 0.92 && depth < 2) {
      const alts = Array.from({ length: 1 + Math.floor(r() * 3) }, () =>
        seq(r, depth + 1, 1 + Math.floor(r() * 3)),
      );
      const open = pickOf(r, ['(', '(?:', `(?<g${Math.floor(r() * 1e6)}>`]);
      return { kind: 'group', alts, open };
    }
    return { kind: 'look', src: pickOf(r, ['(?=a)', '(?!x)', '\\b']) };
  }

  function quantified(r: () => number, depth: number): Node {
    const node = atom(r, depth);
    if (node.kind === 'look' || r() < 0.6) return node;
    const q = r();
    if (q < 0.35) return { kind: 'rep', node, min: 0, max: 1, src: '?' };
    if (q < 0.65) {
      const n = 1 + Math.floor(r() * 3);
      return { kind: 'rep', node, min: n, max: n, src: `{${n}}` };
    }
    const min = Math.floor(r() * 2);
    const max = min + 1 + Math.floor(r() * 3);
    return { kind: 'rep', node, min, max, src: `{${min},${max}}` };
  }

  function seq(r: () => number, depth: number, n: number): Node[] {
    return Array.from({ length: n }, () => quantified(r, depth));
  }

  function render(nodes: readonly Node[]): string {
    return nodes
      .map((n): string => {
        switch (n.kind) {
          case 'lit':
            return ESCAPE.has(n.ch) ? `\\${n.ch}` : n.ch;
          case 'cls':
          case 'any':
          case 'look':
            return n.src;
          case 'group':
            return `${n.open}${n.alts.map(render).join('|')})`;
          case 'rep':
            return render([n.node]) + n.src;
        }
      })
      .join('');
  }

  /**
   * A string the nodes match (letters in random case), or with `literals`, only the characters literals and
   * literal classes put in it (what classes and escapes add between them left out, each part once).
   */
  function sample(nodes: readonly Node[], r: () => number, literals = false): string {
    return nodes
      .map((n): string => {
        switch (n.kind) {
          case 'lit':
            return literals || r() >= 0.2 ? n.ch : n.ch.toUpperCase();
          case 'cls':
            return pickOf(r, [...n.chars]);
          case 'any':
            return literals ? '' : n.pick(r);
          case 'look':
            return '';
          case 'group':
            return sample(pickOf(r, n.alts), r, literals);
          case 'rep': {
            const times = literals ? Math.min(1, n.max) : n.min + Math.floor(r() * (n.max - n.min + 1));
            return Array.from({ length: times }, () => sample([n.node], r, literals)).join('');
          }
        }
      })
      .join('');
  }

  /**
   * Random patterns (sometimes with a second top-level alternative, whose matches must count too) that
   * compile, each with a maker of texts from its samples and some noise.
   */
  function* generatedPatterns(seed: number, rounds: number, openings: readonly string[]) {
    const r = random(seed);
    for (let round = 0; round < rounds; round++) {
      const nodes = seq(r, 0, 1 + Math.floor(r() * 6));
      let source = pickOf(r, openings) + render(nodes);
      const other = r() < 0.08 ? seq(r, 0, 1 + Math.floor(r() * 3)) : undefined;
      if (other) source += '|' + render(other);
      const flags = r() < 0.5 ? 'g' : 'gi';
      let re: RegExp;
      try {
        re = new RegExp(source, flags);
      } catch {
        continue;
      }
      const text = (): string =>
        Array.from({ length: 6 }, () =>
          r() < 0.7
            ? other && r() < 0.5
              ? sample(other, r)
              : sample(nodes, r)
            : pickOf(r, ['zz ', ' ', 'q']),
        ).join(pickOf(r, ['', ' ', 'y']));
      yield { r, nodes, source, flags, re, text };
    }
  }

  /** Every non-empty match of a global regex in `text`. */
  function* nonEmptyMatches(re: RegExp, text: string): Generator<string> {
    for (let m = re.exec(text); m !== null; m = re.exec(text)) {
      if (m[0] === '') re.lastIndex++;
      else yield m[0];
    }
  }

  it('holds on 10,000 generated patterns, keywords and texts', () => {
    let proven = 0;
    let checked = 0;
    for (const { r, nodes, source, flags, re, text } of generatedPatterns(31, 10_000, [
      '',
      '',
      '\\b',
      '(?<![a-z])',
      '^',
    ])) {
      // keywords: pieces of what the pattern matches (so some proofs succeed), sometimes unrelated
      const keywords = Array.from({ length: 1 + Math.floor(r() * 3) }, () => {
        // from a sample, or from the literals alone (a keyword spanning a gap must not be believed)
        const s = (r() < 0.3 ? sample(nodes, r, true) : sample(nodes, r)).toLowerCase();
        if (s.length === 0 || r() < 0.1) return pickOf(r, ['ab', 'x', 'key', ':/']);
        const from = Math.floor(r() * s.length);
        return s.slice(from, from + 1 + Math.floor(r() * 4));
      });
      const bound = keywordOffsetBound(source, keywords);
      if (bound === undefined) continue;
      proven++;
      const lower = keywords.map((k) => k.toLowerCase());
      for (const match of nonEmptyMatches(re, text())) {
        checked++;
        const found = match.toLowerCase();
        const at = Math.min(...lower.map((k) => (found.includes(k) ? found.indexOf(k) : Infinity)));
        expect(
          at,
          `${source} /${flags} keywords ${JSON.stringify(keywords)} bound ${bound}: ${JSON.stringify(match)}`,
        ).toBeLessThanOrEqual(bound);
      }
    }
    // the generator must reach proofs and real matches, or the check proves little
    expect(proven).toBeGreaterThan(1000);
    expect(checked).toBeGreaterThan(3000);
  });

  it('requiredLiterals: every match holds one of the literals, on 20,000 generated patterns', () => {
    let proven = 0;
    let checked = 0;
    for (const { source, flags, re, text } of generatedPatterns(43, 20_000, ['', '', '', '\\b', '^'])) {
      const literals = requiredLiterals(source, 2);
      if (literals === undefined) continue;
      proven++;
      for (const l of literals) {
        expect(l.length).toBeGreaterThanOrEqual(2);
        expect(l).toBe(l.toLowerCase());
      }
      for (const match of nonEmptyMatches(re, text())) {
        checked++;
        const found = match.toLowerCase();
        expect(
          literals.some((l) => found.includes(l)),
          `${source} /${flags} literals ${JSON.stringify(literals)}: ${JSON.stringify(match)}`,
        ).toBe(true);
      }
    }
    expect(proven).toBeGreaterThan(1000);
    expect(checked).toBeGreaterThan(3000);
  });
});

describe('literals vendor rules also need (their value’s literal opening)', () => {
  it('reads the opening: alternatives, a bounded gap before it, what ends it', () => {
    expect(requiredLiterals('(live|test)_[a-f0-9]{35}', 4)).toEqual(['live_', 'test_']);
    expect(requiredLiterals('(test|live)_pub_[a-f0-9]{31}', 4)).toEqual(['test_pub_', 'live_pub_']);
    expect(requiredLiterals('AQVN[a-z0-9_-]{35,38}', 4)).toEqual(['aqvn']);
    expect(requiredLiterals('[a-z0-9]{11}(AAAAAAAAAA)[a-z0-9_=-]{43}', 4)).toEqual(['aaaaaaaaaa']);
    // an optional last character is not required; a repeated one ends the literal part before it
    expect(requiredLiterals('abcde?[0-9]{8}', 4)).toEqual(['abcde', 'abcd']);
    expect(requiredLiterals('abcd+x', 4)).toBeUndefined();
    expect(requiredLiterals('abcdd+x', 4)).toEqual(['abcd']);
  });

  it('gives none when a match need not hold one: alternation at the top, short or unbounded openings', () => {
    expect(requiredLiterals('[a-z0-9_-]{40}|[a-f0-9]{37}', 4)).toBeUndefined();
    expect(requiredLiterals('live_[a-f0-9]{35}|[a-f0-9]{40}', 4)).toBeUndefined();
    expect(requiredLiterals('00[a-z0-9_=-]{40}', 4)).toBeUndefined();
    expect(requiredLiterals('su[a-z0-9]{12}', 4)).toBeUndefined();
    expect(requiredLiterals('(live|t)_[a-f0-9]{35}', 4)).toBeUndefined();
    expect(requiredLiterals('[a-z]+live_', 4)).toBeUndefined();
    expect(requiredLiterals('[a-f0-9]{32}', 4)).toBeUndefined();
    expect(requiredLiterals('\\blive_x', 4)).toBeUndefined();
    // more than 16 spellings, more than the spelling reader takes (256), or one that is not printable ASCII
    const alternatives = (n: number): string =>
      `(${Array.from({ length: n }, (_, i) => `k${i}`).join('|')})_x`;
    expect(requiredLiterals(alternatives(16), 2)).toHaveLength(16);
    expect(requiredLiterals(alternatives(17), 2)).toBeUndefined();
    expect(requiredLiterals('[ab][ab][ab][ab][ab][ab][ab][ab][ab]x', 2)).toBeUndefined();
    expect(requiredLiterals('éabcd', 2)).toBeUndefined();
    expect(requiredLiterals('abcdé', 2)).toBeUndefined();
    expect(requiredLiterals('ab\tcd', 2)).toBeUndefined();
  });

  it('are derived for vendor rules only, never taken from a rule file', () => {
    const rules = readDefaultSecretRules();
    const lob = rules.content.find((r) => r.id === 'PCS-SECRET-LOB-API-KEY');
    expect(lob?.alsoNeeds).toEqual(['live_', 'test_']);
    expect(rules.content.filter((r) => r.alsoNeeds).length).toBeGreaterThanOrEqual(5);
    const text = (extra: string): string =>
      `rules:\n  - id: PCS-SECRET-X\n    title: X\n    severity: low\n    remediation: r\n${extra}`;
    const [vendor] = parseSecretRules([
      { source: 'x.yaml', text: text(`    vendor: { names: ['acme'], value: '(live|test)_[a-f0-9]{8}' }\n`) },
    ]).content;
    expect(vendor?.alsoNeeds).toEqual(['live_', 'test_']);
    const [plainRule] = parseSecretRules([
      {
        source: 'x.yaml',
        text: text(
          `    category: token\n    pattern: 'acme.{0,9}(live|test)_[a-f0-9]{8}'\n    keywords: [acme]\n    alsoNeeds: [nothing]\n`,
        ),
      },
    ]).content;
    expect(plainRule?.alsoNeeds).toBeUndefined();
  });

  it('skip a text with the vendor name but none of the literals, and still find the key when it has one', () => {
    const rules = readDefaultSecretRules();
    const key = `live_${'0a1b2c3d4e'.repeat(3)}f0a1b`;
    const found = (t: string): string[] => scanText(t, '/app/config.js', rules, () => true).map((m) => m.id);
    expect(found(`const lob_key = "${key}";`)).toContain('PCS-SECRET-LOB-API-KEY');
    expect(found(`const LOB_KEY = "${key.toUpperCase()}";`)).toContain('PCS-SECRET-LOB-API-KEY');
    // the same text without `live_`: the value does not have the rule's shape, and the rule does not run
    const without = `const lob_key = "${key.replace('live_', 'lime_')}";`;
    expect(found(without)).not.toContain('PCS-SECRET-LOB-API-KEY');
    const lob = rules.content.find((r) => r.id === 'PCS-SECRET-LOB-API-KEY');
    expect(lob && rules.keywordClosure.has('live_')).toBe(true);
  });
});
