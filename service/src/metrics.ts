import { Counter, Registry } from 'prom-client';

/** The service's Prometheus metrics, on a registry of its own (several apps may share a process in tests). */
export interface ServiceMetrics {
  registry: Registry;
  tasksStarted: Counter<'trigger'>;
  apiRequests: Counter<'route' | 'status'>;
  rematched: Counter<'outcome'>;
  verdictChanges: Counter<'from' | 'to'>;
}

export function createServiceMetrics(): ServiceMetrics {
  const registry = new Registry();
  return {
    registry,
    tasksStarted: new Counter({
      name: 'portcullis_service_tasks_started_total',
      help: 'Scan tasks started, by trigger (manual, schedule, runtime)',
      labelNames: ['trigger'],
      registers: [registry],
    }),
    apiRequests: new Counter({
      name: 'portcullis_service_api_requests_total',
      help: 'API requests by route and status',
      labelNames: ['route', 'status'],
      registers: [registry],
    }),
    rematched: new Counter({
      name: 'portcullis_service_rematched_images_total',
      help: 'Stored inventories re-matched after a vulnerability DB update, by outcome (changed, unchanged, failed)',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    verdictChanges: new Counter({
      name: 'portcullis_service_verdict_changes_total',
      help: 'Verdicts changed by re-matching after a DB update, by old and new decision',
      labelNames: ['from', 'to'],
      registers: [registry],
    }),
  };
}
