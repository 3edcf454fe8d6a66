import { Cron } from 'croner';
import { PortcullisError, type TaskClock } from '../../core/src/index.js';
import type { Logger } from './logger.js';

export interface ScheduleOptions {
  /** Cron expression (`0 3 * * *`; croner syntax, 5 or 6 fields). */
  cron: string;
  /** IANA time zone the expression is read in (default UTC). */
  timezone?: string;
  clock: TaskClock;
  /** True while an earlier run is still going (any replica): the fire is skipped, never stacked. */
  isRunning(): Promise<boolean>;
  /**
   * Claims one fire for this replica (`key` names the fire time); false when another replica claimed it. The
   * service passes the shared store's claimOnce, so replicas sharing Redis start each fire once.
   */
  claim(key: string): Promise<boolean>;
  /** Starts the run; resolves once it is started (not when it ends). */
  start(firedAt: Date): Promise<void>;
  /** Skips and failures are reported here (the scheduler keeps going). */
  onEvent?(event: {
    kind: 'started' | 'skipped-running' | 'claimed-elsewhere' | 'failed';
    at: Date;
    error?: unknown;
  }): void;
}

export interface Schedule {
  /** The next fire time after `now`, or undefined when the expression never fires again. */
  nextAfter(now: Date): Date | undefined;
  /** Stops the loop (a run already started goes on). */
  stop(): Promise<void>;
}

/** Parses the expression once (SERVICE_CONFIG_INVALID names it when croner refuses it or the time zone). */
export function parseSchedule(cron: string, timezone?: string): Cron {
  try {
    const parsed = new Cron(cron, { paused: true, timezone: timezone ?? 'Etc/UTC' });
    // croner reads the time zone when it first computes a time: do it now, so a bad one fails at start-up
    parsed.nextRun(new Date(0));
    return parsed;
  } catch (err) {
    throw new PortcullisError(
      'SERVICE_CONFIG_INVALID',
      `invalid schedule "${cron}"${timezone ? ` (time zone ${timezone})` : ''}: ${(err as Error).message}`,
    );
  }
}

/**
 * Runs `start` at every fire time of the expression, on the injected clock: croner computes the next time, the
 * clock sleeps until it. A fire while a run is still going is skipped (not queued), and each fire is claimed so
 * one replica starts it.
 */
export function startSchedule(opts: ScheduleOptions): Schedule {
  const cron = parseSchedule(opts.cron, opts.timezone);
  const stop = new AbortController();
  const nextAfter = (now: Date): Date | undefined => cron.nextRun(now) ?? undefined;
  const loop = (async () => {
    let from = new Date(opts.clock.now());
    while (!stop.signal.aborted) {
      const next = nextAfter(from);
      if (!next) return;
      await opts.clock.sleep(next.getTime() - opts.clock.now(), stop.signal);
      if (stop.signal.aborted) return;
      from = next;
      try {
        if (await opts.isRunning()) {
          opts.onEvent?.({ kind: 'skipped-running', at: next });
          continue;
        }
        if (!(await opts.claim(`schedule:${opts.cron}:${next.toISOString()}`))) {
          opts.onEvent?.({ kind: 'claimed-elsewhere', at: next });
          continue;
        }
        await opts.start(next);
        opts.onEvent?.({ kind: 'started', at: next });
      } catch (error) {
        opts.onEvent?.({ kind: 'failed', at: next, error });
      }
    }
  })();
  return {
    nextAfter,
    async stop() {
      stop.abort();
      await loop;
    },
  };
}

/** A schedule's events as log lines (`schedule: WHAT started|skipped-running|claimed-elsewhere|failed`). */
export function toScheduleEventLogger(logger: Logger, what: string): NonNullable<ScheduleOptions['onEvent']> {
  return (e) =>
    logger[e.kind === 'failed' ? 'error' : 'info'](`schedule: ${what} ${e.kind}`, {
      at: e.at.toISOString(),
      ...(e.error ? { error: e.error } : {}),
    });
}
