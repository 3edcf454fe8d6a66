import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TOOL_VERSION } from '../core/src/version.js';
import { runCli } from '../core/src/cli/program.js';
import { ROOT } from './helpers/env.js';
import { Writable } from 'node:stream';

describe('TOOL_VERSION', () => {
  it('equals package.json version (reports and --version print it)', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(TOOL_VERSION).toBe(pkg.version);
  });

  it('is what `portcullis --version` prints, with exit code 0', async () => {
    let out = '';
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        out += chunk.toString();
        cb();
      },
    });
    const code = await runCli(['--version'], { stdout: sink, stderr: sink, env: {}, now: () => new Date(0) });
    expect(code).toBe(0);
    expect(out.trim()).toBe(TOOL_VERSION);
  });
});
