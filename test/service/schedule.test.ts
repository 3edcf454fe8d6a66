import { describe, expect, it } from 'vitest';
import { createMemoryStore, PortcullisError } from '../../core/src/index.js';
import { startSchedule, parseSchedule } from '../../service/src/schedule.js';
import { createVirtualClock } from './helpers.js';

describe('scan.schedule (croner on an injected clock)', () => {
  it('fires a daily schedule once a day at 03:00 in its time zone', async () => {
    const { clock, advance } = createVirtualClock('2026-01-10T00:00:00Z');
    const fired: string[] = [];
    const store = createMemoryStore({ now: clock.now });
    const schedule = startSchedule({
      cron: '0 3 * * *',
      timezone: 'Europe/Berlin',
      clock,
      isRunning: async () => false,
      claim: (key) => store.claimOnce(key, 3600),
      start: async (at) => {
        fired.push(at.toISOString());
      },
    });
    await advance(3 * 86_400_000);
    await schedule.stop();
    // 03:00 in Berlin is 02:00 UTC in January
    expect(fired).toEqual([
      '2026-01-10T02:00:00.000Z',
      '2026-01-11T02:00:00.000Z',
      '2026-01-12T02:00:00.000Z',
    ]);
  });

  it('never overlaps itself: a fire while the last run is still going is skipped', async () => {
    const { clock, advance } = createVirtualClock('2026-01-10T00:00:00Z');
    let running = false;
    const events: string[] = [];
    const schedule = startSchedule({
      cron: '0 3 * * *',
      clock,
      isRunning: async () => running,
      claim: async () => true,
      start: async () => {
        running = true;
      },
      onEvent: (e) => events.push(`${e.kind} ${e.at.toISOString()}`),
    });
    await advance(2 * 86_400_000); // the run started on day 1 is still going on day 2
    running = false;
    await advance(86_400_000);
    await schedule.stop();
    expect(events).toEqual([
      'started 2026-01-10T03:00:00.000Z',
      'skipped-running 2026-01-11T03:00:00.000Z',
      'started 2026-01-12T03:00:00.000Z',
    ]);
  });

  it('starts each fire on one replica only when two share a store', async () => {
    const { clock, advance } = createVirtualClock('2026-01-10T00:00:00Z');
    const store = createMemoryStore({ now: clock.now });
    const starts: string[] = [];
    const replicas = ['r1', 'r2'].map((name) =>
      startSchedule({
        cron: '0 3 * * *',
        clock,
        isRunning: async () => false,
        claim: (key) => store.claimOnce(key, 3600),
        start: async (at) => {
          starts.push(`${name} ${at.toISOString()}`);
        },
      }),
    );
    await advance(2 * 86_400_000);
    await Promise.all(replicas.map((r) => r.stop()));
    expect(starts).toHaveLength(2);
    expect(starts.map((s) => s.split(' ')[1])).toEqual([
      '2026-01-10T03:00:00.000Z',
      '2026-01-11T03:00:00.000Z',
    ]);
  });

  it('refuses a bad expression or time zone with SERVICE_CONFIG_INVALID', () => {
    expect(() => parseSchedule('61 * * * *')).toThrow(PortcullisError);
    expect(() => parseSchedule('0 3 * * *', 'Mars/Olympus')).toThrow(
      /SERVICE_CONFIG_INVALID|invalid schedule/,
    );
    expect(
      parseSchedule('0 3 * * *', 'Europe/Berlin').nextRun(new Date('2026-07-01T00:00:00Z'))?.toISOString(),
    ).toBe('2026-07-01T01:00:00.000Z');
  });
});
