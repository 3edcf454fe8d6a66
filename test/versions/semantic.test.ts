import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compareVersions, createComparator } from '../../core/src/versions/index.js';
import { FIXTURES } from '../helpers/env.js';

const DIR = join(FIXTURES, 'versions');

// File prefix → the OSV ecosystems whose ordering that file pins down.
const ECOSYSTEMS: Record<string, string[]> = {
  alpine: ['Alpine:v3.11'],
  debian: ['Debian:12'],
  maven: ['Maven'],
  packagist: ['Packagist'],
  pypi: ['PyPI'],
  redhat: ['Red Hat'],
  rubygems: ['RubyGems'],
  semver: ['npm', 'crates.io', 'Go'],
};
const UNSUPPORTED: Record<string, string> = {
  cran: 'CRAN is not an ecosystem Portcullis scans (no R package analyzer)',
  hackage: 'Hackage is not an ecosystem Portcullis scans (no Haskell package analyzer)',
  nuget: 'NuGet is not an ecosystem Portcullis scans (no .NET package analyzer)',
  pub: 'Pub is not an ecosystem Portcullis scans (no Dart package analyzer)',
};

interface Case {
  line: number;
  a: string;
  op: string;
  b: string;
}

// Same reading as osv-scalibr's compare_test.go: blank lines and `# ` / `// ` comments skipped.
function readCases(file: string): Case[] {
  const cases: Case[] = [];
  readFileSync(join(DIR, file), 'utf8')
    .split('\n')
    .forEach((text, i) => {
      if (text === '' || text.startsWith('# ') || text.startsWith('// ')) return;
      const parts = text.split(' ');
      if (parts.length !== 3)
        throw new Error(`${file}:${i + 1}: expected "A op B", got ${JSON.stringify(text)}`);
      const [a, op, b] = parts as [string, string, string];
      cases.push({ line: i + 1, a, op, b });
    });
  return cases;
}

const EXPECTED: Record<string, number> = { '<': -1, '=': 0, '>': 1 };
const files = readdirSync(DIR).filter((f) => f.endsWith('.txt'));
const counts: Record<string, number> = {};

describe('compareVersions against osv-scalibr semantic testdata', () => {
  it('covers every fixture file, each either checked or skipped with a reason', () => {
    for (const f of files) {
      const prefix = f.split('-')[0] ?? '';
      expect(ECOSYSTEMS[prefix] ?? UNSUPPORTED[prefix], f).toBeDefined();
    }
  });

  for (const file of files) {
    const prefix = file.split('-')[0] ?? '';
    const reason = UNSUPPORTED[prefix];
    if (reason) {
      it.skip(`${file}: ${reason}`, () => {});
      console.warn(`SKIPPED ${file}: ${reason}`);
      continue;
    }
    for (const ecosystem of ECOSYSTEMS[prefix] ?? []) {
      it(`${file} holds line by line for ${ecosystem}`, () => {
        const failures: string[] = [];
        const cases = readCases(file);
        // The memoising comparator the matcher uses must agree with the plain one.
        const memo = createComparator(ecosystem);
        for (const c of cases) {
          const want = EXPECTED[c.op];
          if (want === undefined) throw new Error(`${file}:${c.line}: unknown operator ${c.op}`);
          const got = Math.sign(compareVersions(ecosystem, c.a, c.b));
          const back = Math.sign(compareVersions(ecosystem, c.b, c.a));
          const memoGot = Math.sign(memo(c.a, c.b));
          if (got !== want || back !== -want || memoGot !== want) {
            failures.push(`${file}:${c.line}: ${c.a} ${c.op} ${c.b} (got ${got}, reversed ${back})`);
          }
        }
        counts[ecosystem] = (counts[ecosystem] ?? 0) + cases.length;
        console.log(`${file} [${ecosystem}]: ${cases.length - failures.length}/${cases.length} lines hold`);
        expect(failures.slice(0, 20)).toEqual([]);
        expect(cases.length).toBeGreaterThan(0);
      });
    }
  }

  it('reports the line count per ecosystem', () => {
    console.log(`lines checked per ecosystem: ${JSON.stringify(counts)}`);
    expect(Object.keys(counts).length).toBeGreaterThan(0);
  });
});
