import { spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLogger, PreparedFields } from '../../webhook/src/index.js';
import { ROOT } from '../helpers/env.js';

describe('JSON-lines logger on stdout', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('writes the lines of one event-loop turn in one write, in order', async () => {
    const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const logger = createLogger({ level: 'info' });
    logger.info('one', { n: 1 });
    logger.debug('below the level');
    logger.warn('two', { n: 2, token: 'abc' });
    logger.error('three', { n: 3 });
    expect(write).not.toHaveBeenCalled();
    await new Promise((r) => setImmediate(r));
    expect(write).toHaveBeenCalledTimes(1);
    const lines = String(write.mock.calls[0]?.[0])
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => [l.msg, l.n])).toEqual([
      ['one', 1],
      ['two', 2],
      ['three', 3],
    ]);
    expect(lines[1]?.token).toBe('[redacted]');
  });

  it('appends prepared fields to a line, redacted like any others, and writes nothing below the level', () => {
    const lines: string[] = [];
    const logger = createLogger({ level: 'info', write: (l) => lines.push(l), now: () => new Date(0) });
    const prepared = PreparedFields.of({ message: 'denied: "x"\n', images: [{ image: 'a' }], token: 'abc' });
    logger.info('admission', { uid: 'u1', password: 'p' }, prepared);
    logger.info('admission', { uid: 'u2' }, prepared);
    logger.debug('admission', { uid: 'u3' }, prepared);
    logger.info('plain', {}, PreparedFields.of({}));
    expect(lines.map((l) => JSON.parse(l) as Record<string, unknown>)).toEqual([
      {
        time: '1970-01-01T00:00:00.000Z',
        level: 'info',
        msg: 'admission',
        uid: 'u1',
        password: '[redacted]',
        message: 'denied: "x"\n',
        images: [{ image: 'a' }],
        token: '[redacted]',
      },
      {
        time: '1970-01-01T00:00:00.000Z',
        level: 'info',
        msg: 'admission',
        uid: 'u2',
        message: 'denied: "x"\n',
        images: [{ image: 'a' }],
        token: '[redacted]',
      },
      { time: '1970-01-01T00:00:00.000Z', level: 'info', msg: 'plain' },
    ]);
    expect(lines.every((l) => l.endsWith('}\n') && !l.slice(0, -1).includes('\n'))).toBe(true);
  });

  it('writes ASCII only, escaping what is not (the same text to a JSON reader), and lets a field replace time, level or msg', () => {
    const lines: string[] = [];
    const logger = createLogger({ level: 'info', write: (l) => lines.push(l), now: () => new Date(0) });
    const message = 'deny ≥ high; … and 2 more; naïve 🙂 "quoted" \u2028';
    logger.info('admission', { uid: 'u1' }, PreparedFields.of({ message }));
    logger.info('custom', { msg: 'theirs', time: 'then', level: 'loud', n: 1 });
    expect(lines[0]).toMatch(/^[\x20-\x7e]*\n$/);
    expect(JSON.parse(lines[0] as string)).toEqual({
      time: '1970-01-01T00:00:00.000Z',
      level: 'info',
      msg: 'admission',
      uid: 'u1',
      message,
    });
    expect(JSON.parse(lines[1] as string)).toEqual({ time: 'then', level: 'loud', msg: 'theirs', n: 1 });
  });

  it('loses nothing when the process exits right after logging', () => {
    const script = [
      "const { createLogger } = await import('./webhook/src/logger.ts');",
      "const log = createLogger({ level: 'info' });",
      "for (let i = 0; i < 5000; i++) log.info('admission', { i });",
      'process.exit(0);',
    ].join('\n');
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: ROOT,
      encoding: 'utf8',
      maxBuffer: 1 << 26,
    });
    expect(r.stderr).toBe('');
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(5000);
    expect(lines.map((l) => (JSON.parse(l) as { i: number }).i)).toEqual([...Array(5000).keys()]);
  });
});
