import { describe, expect, it } from 'vitest';
import { redact } from '../../../core/src/analyzers/redact.js';

describe('redact', () => {
  it('keeps a short prefix and suffix of a long value, length preserved', () => {
    expect(redact('LTAI5tQz8vRmXw3YbNc7KpLd')).toBe('LTAI*****************pLd');
  });

  it('masks short values completely', () => {
    expect(redact('hunter2')).toBe('*******');
    expect(redact('Tr0ub4dor&3xYzW9')).toBe('****************');
    expect(redact('')).toBe('*');
  });

  it('caps the length of very long values', () => {
    const out = redact('x'.repeat(5000));
    expect(out).toBe(`xxxx${'*'.repeat(32)}xxx`);
  });

  it('never returns 8 consecutive characters of the input', () => {
    for (const len of [8, 19, 20, 21, 40, 100, 4096]) {
      const value = Array.from({ length: len }, (_, i) => String.fromCharCode(65 + (i % 26))).join('');
      const out = redact(value);
      for (let i = 0; i + 8 <= value.length; i++) expect(out).not.toContain(value.slice(i, i + 8));
    }
  });

  it('counts characters, not UTF-16 units', () => {
    expect(redact('🔑'.repeat(25))).toBe(`${'🔑'.repeat(4)}${'*'.repeat(18)}${'🔑'.repeat(3)}`);
  });
});
