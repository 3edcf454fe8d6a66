/**
 * Issue #11 item 19: 200,000 findings render in every format (no `Math.max(...rows)` or `push(...rows)`, which
 * overflow the call stack), and the JSON report streams: with a 256 MB heap, where building it as one string ran
 * out of memory, it is written finding by finding. Each render runs in a child process (see large-child.ts).
 */
import { execFile } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { REPORT_FORMATS } from '../../core/src/report/index.js';
import { ROOT } from '../helpers/env.js';
import { LARGE_COUNT } from './large-helpers.js';

const run = promisify(execFile);
const TIMEOUT = 600_000;

async function render(format: string, heapMb?: number): Promise<{ text: string; chunks: number }> {
  const out = join(tmpdir(), `portcullis-large-${process.pid}-${format}`);
  try {
    const { stdout } = await run(
      process.execPath,
      [
        ...(heapMb ? [`--max-old-space-size=${heapMb}`] : []),
        '--import',
        'tsx',
        join(ROOT, 'test', 'report', 'large-child.ts'),
        format,
        out,
      ],
      { cwd: ROOT, maxBuffer: 1024 * 1024, timeout: TIMEOUT },
    );
    const seen = JSON.parse(stdout) as { chunks: number; bytes: number };
    const text = await readFile(out, 'utf8');
    expect(Buffer.byteLength(text)).toBe(seen.bytes);
    return { text, chunks: seen.chunks };
  } finally {
    await rm(out, { force: true });
  }
}

describe(`${LARGE_COUNT} findings`, () => {
  for (const format of REPORT_FORMATS) {
    it(
      `render as ${format}`,
      async () => {
        const { text } = await render(format);
        expect(text.length).toBeGreaterThan(1000);
        // the uncapped formats list every finding (markdown, GitLab and Code Quality caps say what they left out)
        if (format === 'table' || format === 'sarif') expect(text).toContain(`CVE-2099-${LARGE_COUNT - 1}`);
      },
      TIMEOUT,
    );
  }

  it(
    'streams the JSON report, every finding, within a 256 MB heap',
    async () => {
      const { text, chunks } = await render('json', 256);
      expect(chunks).toBe(LARGE_COUNT + 2);
      const report = JSON.parse(text) as { findings: { id: string }[] };
      expect(report.findings).toHaveLength(LARGE_COUNT);
      expect(report.findings[LARGE_COUNT - 1]?.id).toMatch(/^CVE-2099-\d+$/);
    },
    TIMEOUT,
  );
});
