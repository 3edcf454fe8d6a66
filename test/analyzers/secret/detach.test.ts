import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { detach } from '../../../core/src/analyzers/secret/scan-text.js';

const MODULE = join(
  import.meta.dirname,
  '..',
  '..',
  '..',
  'core',
  'src',
  'analyzers',
  'secret',
  'scan-text.ts',
);

/** Heap MB still used after keeping a 40-character piece of each of 40 one-MiB texts (in a child with gc()). */
function heapAfterKeeping(how: 'detach' | 'slice'): number {
  const script = `
    const { detach } = await import(${JSON.stringify(MODULE)});
    const kept = [];
    for (let i = 0; i < 40; i++) {
      const text = String(i).padStart(4, '0') + 'a'.repeat(1024 * 1024) + 'ghp_' + 'Z'.repeat(36);
      const piece = text.slice(-40);
      kept.push(${how === 'detach' ? 'detach(piece)' : 'piece'});
    }
    globalThis.gc();
    console.log(process.memoryUsage().heapUsed / 1048576, kept.length);
  `;
  const out = execFileSync(
    process.execPath,
    ['--expose-gc', '--import', 'tsx', '--input-type=module', '-e', script],
    {
      encoding: 'utf8',
    },
  );
  return Number(out.trim().split(' ')[0]);
}

describe('detach (matched secrets do not keep their whole text alive)', () => {
  it('keeps the characters, including non-ASCII ones', () => {
    expect(detach('ghp_abc€😀')).toBe('ghp_abc€😀');
    expect(detach('')).toBe('');
  });

  it('lets the texts go: 40 kept secrets of 40 one-MiB texts hold kilobytes, not 40 MiB', () => {
    const sliced = heapAfterKeeping('slice');
    const detached = heapAfterKeeping('detach');
    // the control shows what a plain substring keeps alive (V8 sliced strings)
    expect(sliced).toBeGreaterThan(35);
    expect(detached).toBeLessThan(20);
  });
});
