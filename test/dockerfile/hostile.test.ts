import { describe, expect, it } from 'vitest';
import { analyzeDockerfile } from '../../core/src/analyzers/buildinstruction/index.js';
import { DOCKERFILE_LIMITS, parseDockerfile } from '../../core/src/dockerfile/index.js';

function caught(fn: () => unknown): { code?: string; message?: string } {
  try {
    fn();
  } catch (err) {
    return err as { code?: string; message?: string };
  }
  throw new Error('expected an error');
}

/** Deterministic pseudo-random bytes (xorshift), so the garbage is the same on every run. */
function garbage(size: number, seed: number, allowNul: boolean): string {
  const out = Buffer.alloc(size);
  let x = seed;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    let b = x & 0xff;
    if (!allowNul && b === 0) b = 1;
    out[i] = b;
  }
  return out.toString('latin1');
}

describe('hostile Dockerfiles', () => {
  it('parses 100k continuation lines into one RUN with the exact end line', () => {
    const text = `FROM alpine:3.19\nRUN echo \\\n${'  x \\\n'.repeat(100_000)}  end\nUSER app\n`;
    const ast = parseDockerfile(text);
    const run = ast.instructions[1];
    expect([run?.startLine, run?.endLine]).toEqual([2, 100_003]);
    expect(ast.instructions[2]?.startLine).toBe(100_004);
    const findings = analyzeDockerfile(text, 'Dockerfile');
    expect(findings.every((f) => (f.evidence ?? '').length <= 240)).toBe(true);
  });

  it('rejects an instruction longer than the logical-line limit with the line it starts on', () => {
    const text = `FROM alpine:3.19\nRUN echo \\\n${`${'y'.repeat(60)} \\\n`.repeat(20_000)}end\n`;
    const err = caught(() => parseDockerfile(text));
    expect(err.code).toBe('DOCKERFILE_PARSE_FAILED');
    expect(err.message).toContain(`longer than ${DOCKERFILE_LIMITS.maxLogicalLineChars}`);
    expect(err.message).toContain('line 2');
  });

  it('reports an unterminated heredoc after 100k body lines', () => {
    const text = `FROM alpine:3.19\nUSER app\nRUN <<EOF\n${'echo body\n'.repeat(100_000)}`;
    const err = caught(() => parseDockerfile(text));
    expect(err.code).toBe('DOCKERFILE_PARSE_FAILED');
    expect(err.message).toContain('unterminated heredoc <<EOF starting at line 3');
  });

  it('rejects binary garbage with NUL bytes as binary content', () => {
    const err = caught(() => analyzeDockerfile(garbage(64 * 1024, 7, true), 'Dockerfile'));
    expect(err.message).toMatch(/^parsing Dockerfile: /);
    expect(err.code).toBe('DOCKERFILE_PARSE_FAILED');
    expect(err.message).toContain('binary content');
  });

  it('rejects garbage without NUL bytes with a short, printable message', () => {
    const err = caught(() => analyzeDockerfile(garbage(32 * 1024, 11, false), 'Dockerfile'));
    expect(err.code).toBe('DOCKERFILE_PARSE_FAILED');
    expect(err.message).toMatch(/^[\x20-\x7e…]+$/);
    expect((err.message ?? '').length).toBeLessThan(200);
  });

  it('rejects files above the size limit and physical lines above 65535 characters', () => {
    expect(caught(() => parseDockerfile(' '.repeat(DOCKERFILE_LIMITS.maxBytes + 1))).code).toBe(
      'DOCKERFILE_PARSE_FAILED',
    );
    const long = caught(() => parseDockerfile(`FROM a:1\nLABEL x=${'a'.repeat(70_000)}`));
    expect(long.message).toContain('max allowed size of 65535 (line 2)');
  });

  it('bounds deeply nested ${…:-${…}} expansions instead of exhausting the stack', () => {
    const depth = 5_000;
    const value = `${'${A:-'.repeat(depth)}x${'}'.repeat(depth)}`;
    const ast = parseDockerfile(`FROM a:1\nENV V=${value}`);
    expect(ast.instructions[1]?.pairs?.[0]?.value?.startsWith('${A:-')).toBe(true);
  });

  it('reads a shell script of many short commands without blowing up', () => {
    const text = `FROM alpine:3.19\nUSER app\nRUN ${'true && '.repeat(8_000)}sudo true`;
    const ids = analyzeDockerfile(text, 'Dockerfile').map((f) => f.id);
    expect(ids).toContain('DS010');
  });
});
