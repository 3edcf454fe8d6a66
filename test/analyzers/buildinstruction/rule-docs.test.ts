import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUILD_RULES } from '../../../core/src/analyzers/buildinstruction/index.js';

const DOC = readFileSync(join(import.meta.dirname, '../../../docs/BUILD-RULES.md'), 'utf8');

describe('docs/BUILD-RULES.md', () => {
  for (const rule of Object.values(BUILD_RULES)) {
    it(`documents ${rule.id} with its severity and peers`, () => {
      const row = DOC.split('\n').find((l) => l.startsWith(`| \`${rule.id}\` |`));
      expect(row, `no table row for ${rule.id}`).toBeDefined();
      expect(row).toContain(`| ${rule.severity} |`);
      for (const peer of rule.peers ?? []) expect(row).toContain(peer);
    });
  }
});
