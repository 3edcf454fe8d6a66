import {
  DEFAULT_UPDATE_ECOSYSTEMS,
  updateDb,
  type Policy,
  type TaskClock,
  type UpdateOptions,
  type VerdictStore,
} from '../../core/src/index.js';
import type { Logger } from './logger.js';
import type { ServiceMetrics } from './metrics.js';
import { rematchStored, type RematchSummary } from './rematch.js';
import { startSchedule, toScheduleEventLogger, type Schedule } from './schedule.js';

export interface DbUpdateScheduleOptions {
  /** `scan.dbUpdate` (cron) and `scan.timezone`. */
  cron: string;
  timezone?: string;
  clock: TaskClock;
  /** Claims one fire across replicas (the shared store's claimOnce). */
  claim(key: string): Promise<boolean>;
  dbPath: string;
  verdicts: VerdictStore;
  policy: Policy;
  logger: Logger;
  metrics?: ServiceMetrics;
  /** Where `db update` downloads from and what it keeps (default: the osv.dev bucket, the CLI's ecosystems). */
  update?: Pick<UpdateOptions, 'mirrorBaseUrl' | 'dispatcher' | 'ecosystems'>;
  /** Called when a fired run has ended: the re-match summary, or what failed. */
  onRun?(outcome: { firedAt: Date; summary?: RematchSummary; error?: unknown }): void;
}

/**
 * `scan.dbUpdate`: at every fire, `db update` into `dbPath`, then every stored inventory is re-matched against
 * the new DB (no image is pulled). A fire while the last run is still going is skipped.
 */
export function startDbUpdateSchedule(opts: DbUpdateScheduleOptions): Schedule {
  const { logger } = opts;
  let updating = false;
  return startSchedule({
    cron: opts.cron,
    ...(opts.timezone ? { timezone: opts.timezone } : {}),
    clock: opts.clock,
    isRunning: async () => updating,
    claim: opts.claim,
    start: async (firedAt) => {
      updating = true;
      // started, not awaited: the schedule loop goes on sleeping while the download runs
      void (async () => {
        try {
          const result = await updateDb({
            ecosystems: [...DEFAULT_UPDATE_ECOSYSTEMS],
            ...opts.update,
            dbPath: opts.dbPath,
          });
          logger.info('db update done', { imported: result.imported });
          const summary = await rematchStored({
            verdicts: opts.verdicts,
            dbPath: opts.dbPath,
            policy: opts.policy,
            logger,
            ...(opts.metrics ? { metrics: opts.metrics } : {}),
          });
          logger.info('re-match done', { ...summary, verdictChanges: summary.verdictChanges.length });
          opts.onRun?.({ firedAt, summary });
        } catch (error) {
          logger.error('db update or re-match failed', { error });
          opts.onRun?.({ firedAt, error });
        } finally {
          updating = false;
        }
      })();
    },
    onEvent: toScheduleEventLogger(logger, 'db update'),
  });
}
