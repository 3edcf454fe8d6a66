import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY, evaluatePolicy } from '../../core/src/policy/index.js';
import { REPORT_FORMATS, renderReport } from '../../core/src/report/index.js';
import type { ReportFormat } from '../../core/src/report/index.js';
import { ROOT } from '../helpers/env.js';
import { evaluateWithExceptions, NOW, options, readMultiScan } from './helpers.js';

const GOLDEN = join(ROOT, 'test', 'report', 'golden');
const UPDATE = process.env.UPDATE_GOLDEN === '1';

// `.golden` keeps Prettier (which knows .json/.sarif/.md) from reformatting byte-exact expectations.
const fileOf = (name: string, format: ReportFormat): string => join(GOLDEN, `${name}.${format}.golden`);

const scan = readMultiScan();
const fixtures = {
  'multi-default': evaluatePolicy(scan, DEFAULT_POLICY, { now: NOW }),
  'multi-exceptions': evaluateWithExceptions(scan),
};

describe('golden reports (clock and ids injected; UPDATE_GOLDEN=1 rewrites)', () => {
  for (const [name, evaluation] of Object.entries(fixtures)) {
    for (const format of REPORT_FORMATS) {
      it(`${name} as ${format}`, () => {
        const out = renderReport(format, scan, evaluation, options());
        const file = fileOf(name, format);
        if (UPDATE || !existsSync(file)) {
          if (!UPDATE) throw new Error(`golden file ${file} is missing: run with UPDATE_GOLDEN=1`);
          mkdirSync(GOLDEN, { recursive: true });
          writeFileSync(file, out);
        }
        expect(out).toBe(readFileSync(file, 'utf8'));
      });
    }
  }

  it('is byte-stable: rendering twice gives the same bytes', () => {
    for (const format of REPORT_FORMATS) {
      const ev = fixtures['multi-exceptions'];
      expect(renderReport(format, scan, ev, options())).toBe(renderReport(format, scan, ev, options()));
    }
  });

  it('the coloured table is the plain table plus ANSI codes only', () => {
    const ev = fixtures['multi-default'];
    const coloured = renderReport('table', scan, ev, options({ color: true }));
    expect(coloured).toContain('\u001b[1;31mDENY\u001b[0m');
    // eslint-disable-next-line no-control-regex
    expect(coloured.replace(/\u001b\[[0-9;]*m/g, '')).toBe(renderReport('table', scan, ev, options()));
  });
});
