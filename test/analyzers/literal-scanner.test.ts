import { describe, expect, it } from 'vitest';
import { LiteralScanner, SkipSearch } from '../../core/src/analyzers/literal-scanner.js';
import { readDefaultSecretRules } from '../../core/src/analyzers/secret/redactor.js';
import {
  createKeywordFinder,
  mayMatch,
  scanText,
  type KeywordHits,
} from '../../core/src/analyzers/secret/scan-text.js';

function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Random words of `n` characters of `alphabet`, drawn from `next`. */
function wordMaker(next: () => number, alphabet: string): (n: number) => string {
  return (n) => Array.from({ length: n }, () => alphabet[Math.floor(next() * alphabet.length)]).join('');
}

const naive = (literals: string[], text: Buffer, fold: boolean): number[] => {
  const hay = fold
    ? Buffer.from(
        text.toString('latin1').replace(/[A-Z]/g, (c) => c.toLowerCase()),
        'latin1',
      )
    : text;
  return literals.flatMap((l, i) =>
    hay.includes(Buffer.from(fold ? l.toLowerCase() : l, 'latin1')) ? [i] : [],
  );
};

describe('LiteralScanner (one pass for many literals)', () => {
  it('finds overlapping literals, prefixes and suffixes of each other', () => {
    const literals = ['he', 'she', 'his', 'hers', 'h', 'ushers!'];
    const s = new LiteralScanner(literals.map((l) => Buffer.from(l)));
    expect(s.find(Buffer.from('ushers')).sort()).toEqual([0, 1, 3, 4]);
    expect(s.find(Buffer.from('ushers!')).sort()).toEqual([0, 1, 3, 4, 5]);
    expect(s.find(Buffer.from('this')).sort()).toEqual([2, 4]);
    expect(s.find(Buffer.from('xyz'))).toEqual([]);
    expect(s.find(Buffer.alloc(0))).toEqual([]);
  });

  it('matches ASCII case-insensitively only when asked, and bytes exactly otherwise', () => {
    const folded = new LiteralScanner([Buffer.from('akia'), Buffer.from('Token')], true);
    expect(folded.find(Buffer.from('x AKIA y TOKEN')).sort()).toEqual([0, 1]);
    const exact = new LiteralScanner([Buffer.from('akia'), Buffer.from([0xff, 0x00, 0x41])]);
    expect(exact.find(Buffer.from('AKIA'))).toEqual([]);
    expect(exact.find(Buffer.from([1, 0xff, 0x00, 0x41, 2]))).toEqual([1]);
    expect(exact.find(Buffer.from([0xff, 0x00, 0x61]))).toEqual([]);
  });

  it('agrees with Buffer.includes on random literals and texts, folded or not', () => {
    const next = random(3);
    const word = wordMaker(next, 'abAB:_-\x00\xff');
    for (let round = 0; round < 300; round++) {
      const literals = Array.from({ length: 1 + Math.floor(next() * 12) }, () =>
        word(1 + Math.floor(next() * 5)),
      );
      const text = Buffer.from(word(Math.floor(next() * 200)), 'latin1');
      for (const fold of [false, true]) {
        const s = new LiteralScanner(
          literals.map((l) => Buffer.from(l, 'latin1')),
          fold,
        );
        expect(
          s.find(text).sort((a, b) => a - b),
          `${fold} ${literals} ${text.toString('latin1')}`,
        ).toEqual(naive(literals, text, fold));
      }
    }
  });

  it('agrees with Buffer.includes and indexOf with a large automaton (thousands of states), every occurrence', () => {
    const next = random(5);
    const word = wordMaker(next, 'abcdefgh:_-\x00\xffXY');
    const literals = Array.from({ length: 700 }, () => word(4 + Math.floor(next() * 6)));
    for (const fold of [false, true]) {
      const s = new LiteralScanner(
        literals.map((l) => Buffer.from(l, 'latin1')),
        fold,
      );
      for (let round = 0; round < 20; round++) {
        // random bytes with literals planted in them (the first ones always: their states come first)
        const planted = [0, 1, 2, ...Array.from({ length: 30 }, () => Math.floor(next() * literals.length))];
        const text = Buffer.from(planted.map((i) => word(40) + literals[i]).join(''), 'latin1');
        expect(s.find(text).sort((a, b) => a - b)).toEqual(naive(literals, text, fold));
        // and every occurrence with its offset
        const hay = fold ? text.toString('latin1').toLowerCase() : text.toString('latin1');
        const expected: string[] = [];
        literals.forEach((l, i) => {
          const needle = fold ? l.toLowerCase() : l;
          for (let at = hay.indexOf(needle); at >= 0; at = hay.indexOf(needle, at + 1))
            expected.push(`${i}@${at}`);
        });
        const pairs = s.occurrences(text);
        const got: string[] = [];
        for (let k = 0; k < pairs.length; k += 2) got.push(`${pairs[k]}@${pairs[k + 1]}`);
        expect(got.sort()).toEqual(expected.sort());
      }
    }
  });

  it('reads a long text as two halves: each occurrence once, in end order, wherever it lies around the middle', () => {
    const literals = ['k', 'ke', 'key', 'token', 'secret_key', 'x-api-key-', 'abcdefghijkl', 'cdefgh'];
    const s = new LiteralScanner(literals.map((l) => Buffer.from(l, 'latin1')));
    const lengths = literals.map((l) => l.length);
    const every = (text: Buffer): string[] => {
      const hay = text.toString('latin1');
      const out: string[] = [];
      literals.forEach((l, i) => {
        for (let at = hay.indexOf(l); at >= 0; at = hay.indexOf(l, at + 1)) out.push(`${i}@${at}`);
      });
      return out.sort();
    };
    let checked = 0;
    for (const size of [1024, 1025, 1337, 4096]) {
      const mid = size >> 1;
      for (const lit of literals) {
        // planted so that it ends before, at and after the middle, and starts where the second walk starts
        for (let at = mid - 14 - lit.length; at <= mid + 2; at++) {
          const text = Buffer.alloc(size, '.');
          text.write(lit, at, 'latin1');
          text.write('token', 3, 'latin1');
          text.write('key', size - 3, 'latin1');
          const pairs = s.occurrences(text);
          const got: string[] = [];
          let lastEnd = -1;
          for (let k = 0; k < pairs.length; k += 2) {
            const index = pairs[k] as number;
            const start = pairs[k + 1] as number;
            got.push(`${index}@${start}`);
            const end = start + (lengths[index] as number) - 1;
            expect(end, `${lit} at ${at} in ${size}`).toBeGreaterThanOrEqual(lastEnd);
            lastEnd = end;
          }
          expect(got.sort(), `${lit} at ${at} in ${size}`).toEqual(every(text));
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(400);
  });

  it('reads a text in one walk when a literal is longer than a quarter of it (even than half of it)', () => {
    for (const [pad, size] of [
      [300, 1200],
      [700, 1100],
    ] as const) {
      const long = 'L'.repeat(pad) + 'end';
      const s = new LiteralScanner([Buffer.from(long), Buffer.from('end')]);
      for (const at of [0, 200, size - long.length]) {
        const text = Buffer.alloc(size, '.');
        text.write(long, at);
        expect(s.occurrences(text), `${pad} at ${at}`).toEqual([0, at, 1, at + pad]);
      }
    }
  });

  it('finds exact literals of 4+ bytes by skipping (Wu–Manber) with the automaton’s answer', () => {
    const next = random(11);
    const word = wordMaker(next, 'abcd:"\x00\xff');
    let skipped = 0;
    let hits = 0;
    for (let round = 0; round < 400; round++) {
      const words = Array.from({ length: 1 + Math.floor(next() * 10) }, () =>
        word(4 + Math.floor(next() * 9)),
      );
      // the same bytes twice (two indices), as the malware rules list `stratum+tcp://` for several rules
      const literals = [...words, words[0] as string].map((l) => Buffer.from(l, 'latin1'));
      const fast = new LiteralScanner(literals);
      const automaton = new LiteralScanner(literals, false, { skipSearch: false });
      expect(fast.skipsBytes).toBe(true);
      expect(automaton.skipsBytes).toBe(false);
      // literals planted at the start, the end and anywhere, in texts from shorter than any literal up
      const planted = Array.from(
        { length: Math.floor(next() * 4) },
        () => words[Math.floor(next() * words.length)],
      );
      const text = Buffer.from(
        (next() < 0.3 ? (planted[0] ?? '') : '') +
          planted.map((w) => word(Math.floor(next() * 30)) + w).join('') +
          word(Math.floor(next() * 40)),
        'latin1',
      );
      const want = automaton.find(text).sort((a, b) => a - b);
      expect(
        fast.find(text).sort((a, b) => a - b),
        `${words} | ${text.toString('latin1')}`,
      ).toEqual(want);
      expect(want).toEqual(
        naive(
          literals.map((l) => l.toString('latin1')),
          text,
          false,
        ),
      );
      skipped++;
      hits += want.length;
    }
    expect(skipped).toBe(400);
    // most rounds find something: the comparison is not between two empty answers
    expect(hits).toBeGreaterThan(400);
  });

  it('skip search on its own: the automaton’s answer on ordinary texts, without handing over', () => {
    const next = random(23);
    const word = wordMaker(next, 'abcd:"\x00\xff');
    let answered = 0;
    for (let round = 0; round < 300; round++) {
      const words = Array.from({ length: 1 + Math.floor(next() * 8) }, () =>
        word(4 + Math.floor(next() * 6)),
      );
      const literals = words.map((w) => Buffer.from(w, 'latin1'));
      const skip = new SkipSearch(literals);
      const automaton = new LiteralScanner(literals, false, { skipSearch: false });
      // a literal at the very start and one at the very end, noise between
      const text = Buffer.from(
        `${words[0]}${word(Math.floor(next() * 50))}${words[words.length - 1]}`,
        'latin1',
      );
      const got = skip.find(text);
      // ordinary texts never run out of the compare budget
      expect(got, `${words} | ${text.toString('latin1')}`).toBeDefined();
      expect([...(got ?? [])].sort((a, b) => a - b)).toEqual(automaton.find(text).sort((a, b) => a - b));
      answered++;
    }
    expect(answered).toBe(300);
    // a literal that would run past the text's end is not read there
    const s = new SkipSearch([Buffer.from('abcdefgh')]);
    expect(s.find(Buffer.from('xxabcdefg'))).toEqual([]);
    expect(s.find(Buffer.from('xxabcdefgh'))).toEqual([0]);
    expect(s.find(Buffer.from('abcd'))).toEqual([]);
  });

  it('skip search hands over (undefined) only once a text has made it compare 4 bytes per byte', () => {
    const s = new SkipSearch([Buffer.from(`${'a'.repeat(40)}b`), Buffer.from('aaaac')]);
    // every position of a long run of `a` ends the literals' first 5 bytes: ~40 compared bytes each
    expect(s.find(Buffer.from('a'.repeat(5000)))).toBeUndefined();
    // a short run stays within the budget of the whole text
    expect(s.find(Buffer.from(`${'a'.repeat(6)}c${'z'.repeat(400)}`))).toEqual([1]);
  });

  it('takes the skip search only for exact literals of 4+ bytes, and not too many of them', () => {
    const lits = (...l: string[]): Buffer[] => l.map((x) => Buffer.from(x));
    expect(new LiteralScanner(lits('abcd', 'stratum+tcp://')).skipsBytes).toBe(true);
    expect(new LiteralScanner(lits('abcd', 'abc')).skipsBytes).toBe(false);
    expect(new LiteralScanner(lits('abcd', 'efgh'), true).skipsBytes).toBe(false);
    const many = Array.from({ length: 257 }, (_, i) => Buffer.from(`lit-${i}`));
    expect(new LiteralScanner(many).skipsBytes).toBe(false);
    expect(new LiteralScanner(many.slice(0, 256)).skipsBytes).toBe(true);
  });

  it('gives the automaton’s answer on texts that keep the skip search comparing (a long prefix repeated)', () => {
    const literals = [Buffer.from(`${'a'.repeat(40)}b`), Buffer.from('aaaac'), Buffer.from('zzzz')];
    const s = new LiteralScanner(literals);
    expect(s.skipsBytes).toBe(true);
    const run = 'a'.repeat(5000);
    expect(s.find(Buffer.from(run))).toEqual([]);
    expect(s.find(Buffer.from(`${run}b`))).toEqual([0]);
    expect(s.find(Buffer.from(`${run}c zzzz`)).sort()).toEqual([1, 2]);
    expect(s.find(Buffer.from(`zzzz${run}b${run}c`)).sort()).toEqual([0, 1, 2]);
  });

  it('refuses an empty literal', () => {
    expect(() => new LiteralScanner([Buffer.alloc(0)])).toThrow(RangeError);
  });
});

describe('secret keywords found on the bytes', () => {
  const rules = readDefaultSecretRules();
  const finder = createKeywordFinder(rules);
  const shape = (text: string, keywords?: KeywordHits) =>
    scanText(text, '/app/x.env', rules, () => true, keywords).map(
      (m) => `${m.id} ${m.line} ${m.secrets.join(',')}`,
    );

  it('gives scanText the same answer as finding them in the decoded, lower-cased text', () => {
    const next = random(11);
    const keywords = [...new Set(rules.content.flatMap((r) => r.keywords))];
    const pieces = [
      ...keywords,
      ' = ',
      '"',
      '\n',
      'AKIA' + 'Q3EGRBHGXCMYSW7F',
      'ghp_' + 'A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8',
      'é',
      '€',
      '\u{1F600}',
      'password: "Zx81-qLm.44Tr0"',
    ];
    for (let round = 0; round < 400; round++) {
      const parts = Array.from({ length: 1 + Math.floor(next() * 25) }, () => {
        const p = pieces[Math.floor(next() * pieces.length)] as string;
        return next() < 0.3 ? p.toUpperCase() : p;
      });
      const text = parts.join(next() < 0.5 ? '' : ' ');
      const found = finder(Buffer.from(text));
      expect(found, text).toBeDefined();
      // valid UTF-8 gets keyword positions from the bytes (the text is never lower-cased for them)
      expect(found?.positionsOf, text).toBeDefined();
      expect(shape(text, found), text).toEqual(shape(text));
    }
  });

  it('leaves it to the decoded text when a character lower-cases to ASCII (İ, the Kelvin sign)', () => {
    expect(finder(Buffer.from('\u0130'))).toBeUndefined();
    expect(finder(Buffer.from('\u212Aey'))).toBeUndefined();
    expect(finder(Buffer.from('plain text'))?.found.size).toBe(0);
  });

  it('gives every start of a keyword as a text index, overlapping and case-folded, in order', () => {
    const text = 'global Lob GLOBAL lolob';
    const lower = text.toLowerCase();
    const expected: number[] = [];
    for (let i = lower.indexOf('lob'); i !== -1; i = lower.indexOf('lob', i + 1)) expected.push(i);
    const hits = finder(Buffer.from(text));
    expect(hits?.found.has('lob')).toBe(true);
    expect(hits?.positionsOf?.(['lob'])).toEqual(expected);
    expect(expected).toEqual([1, 7, 12, 20]);
    // after 2-, 3- and 4-byte characters the positions are UTF-16 indices, as in the decoded text
    const wide = 'é€\u{1F600} lob é LOB';
    const at: number[] = [];
    for (let i = wide.toLowerCase().indexOf('lob'); i !== -1; i = wide.toLowerCase().indexOf('lob', i + 1))
      at.push(i);
    expect(finder(Buffer.from(wide))?.positionsOf?.(['lob'])).toEqual(at);
    expect(at).toEqual([5, 11]);
    // invalid UTF-8 decodes to replacement characters: no byte positions for it
    expect(finder(Buffer.from([0x6c, 0x6f, 0x62, 0xff]))?.positionsOf).toBeUndefined();
  });

  it('skips decoding only texts scanText finds nothing in (every selected rule windowed, no candidate)', () => {
    const next = random(23);
    const pieces = [
      ...new Set(rules.content.flatMap((r) => r.keywords)),
      ' = ',
      ': "',
      '\n',
      'user:Zx81-qLm.44Tr0@host',
      'AKIA' + 'Q3EGRBHGXCMYSW7F',
      'ghp_' + 'A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8',
      'https://example.com/path',
      'Value: hunter2',
      'é',
      '€',
      '\u{1F600}',
    ];
    let skipped = 0;
    let scanned = 0;
    let wide = 0;
    for (let round = 0; round < 3000; round++) {
      const parts = Array.from({ length: 1 + Math.floor(next() * 12) }, () => {
        const p = pieces[Math.floor(next() * pieces.length)] as string;
        return next() < 0.3 ? p.toUpperCase() : p;
      });
      const text = parts.join(next() < 0.5 ? '' : ' ');
      const bytes = Buffer.from(text);
      const hits = finder(bytes);
      if (!hits || hits.found.size === 0) continue;
      const path = next() < 0.2 ? '/var/cache/debconf/passwords.dat' : '/app/x.env';
      const found = scanText(text, path, rules, () => true, hits);
      if (mayMatch(bytes, path, rules, () => true, hits)) scanned++;
      else {
        skipped++;
        if (!hits.ascii) wide++;
        expect(found, text).toEqual([]);
      }
    }
    // both answers must occur, or the check proves little
    expect(skipped).toBeGreaterThan(100);
    expect(scanned).toBeGreaterThan(100);
    expect(wide).toBeGreaterThan(20);
  });

  it('decodes a text whose keyword has a candidate, a text with rules that run everywhere, and invalid UTF-8', () => {
    const ask = (text: string, path = '/app/x.env'): boolean => {
      const bytes = Buffer.from(text);
      const hits = finder(bytes);
      expect(hits?.found.size, text).toBeGreaterThan(0);
      return mayMatch(bytes, path, rules, () => true, hits as KeywordHits);
    };
    expect(ask('see https://example.com/docs for more')).toBe(false);
    expect(ask('url = https://deploy:Zx81-qLm.44Tr0@example.com/x')).toBe(true);
    // a path-limited rule whose path this is not: never run, so nothing to decode for
    expect(ask('Value: hunter2', '/etc/app.conf')).toBe(false);
    expect(ask('Value: hunter2', '/var/cache/debconf/passwords.dat')).toBe(true);
    // the JWT rule has a validator, so no window: it runs over the whole text
    expect(rules.content.find((r) => r.id === 'PCS-SECRET-JWT')?.window).toBeUndefined();
    expect(ask('token eyJ nothing here')).toBe(true);
    // in UTF-8 the windows are decoded from three bytes per character of reach
    expect(ask('caf\u00e9 https://example.com/docs')).toBe(false);
    expect(ask('\u20ac\u20ac url = https://d\u00e9ploy:Zx81-qLm.44Tr0@example.com/x \u{1F600}')).toBe(true);
    // windows in characters, not bytes: a match made of 3-byte characters reaches far past `after` bytes
    const cjk = (n: number, seed: number): string =>
      Array.from({ length: n }, (_, i) => String.fromCharCode(0x4e00 + ((i * 7919 + seed) % 2000))).join('');
    const wide = `https://${cjk(64, 1)}:${cjk(128, 5)}@example.com`;
    expect(scanText(wide, '/app/x.env', rules, () => true).map((m) => m.id)).toContain(
      'PCS-SECRET-BASIC-AUTH-URL',
    );
    expect(ask(wide)).toBe(true);
    // a keyword 32 characters into its match (Mailchimp), in a text that is not ASCII
    expect(ask(`\u20ac key ${'a1'.repeat(16)}-us12`)).toBe(true);
    expect(ask(`\u20ac key ${'zz'.repeat(16)}-us12`)).toBe(false);
    const invalid = Buffer.concat([Buffer.from('see https://example.com/docs '), Buffer.from([0xff])]);
    expect(mayMatch(invalid, '/app/x.env', rules, () => true, finder(invalid) as KeywordHits)).toBe(true);
    // a rule turned off by the policy is not a reason to decode
    const bytes = Buffer.from('url = https://deploy:Zx81-qLm.44Tr0@example.com/x');
    const hits = finder(bytes) as KeywordHits;
    expect(mayMatch(bytes, '/app/x.env', rules, (r) => r.id !== 'PCS-SECRET-BASIC-AUTH-URL', hits)).toBe(
      false,
    );
  });

  it('finds tokens whose prefixes the keyword lists once missed (EZTK, FLWPUBK-, vcc_)', () => {
    const hex = '0123456789abcdef'.repeat(4);
    for (const [id, token] of [
      ['PCS-SECRET-EASYPOST-TOKEN', 'EZTK' + 'a1B2c3D4e5'.repeat(5) + 'Zz9y'],
      ['PCS-SECRET-FLUTTERWAVE-KEY', `FLWPUBK-${hex.slice(0, 32)}-X`],
      ['PCS-SECRET-VERCEL-TOKEN', 'vcc_' + 'Ab3dE6gH9jK2mN5pQ8sT1vW4'],
    ] as const) {
      const text = `token: ${token}\n`;
      const hits = finder(Buffer.from(text));
      expect(hits?.found.size, id).toBeGreaterThan(0);
      expect(
        scanText(text, '/app/x.env', rules, () => true, hits).map((m) => m.id),
        id,
      ).toContain(id);
    }
  });
});
