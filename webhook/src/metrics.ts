import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The webhook's Prometheus metrics, on a registry of its own (several apps may share a process in tests). */
export interface WebhookMetrics {
  registry: Registry;
  decisions: Counter<'result' | 'mode' | 'reason'>;
  latency: Histogram<'result'>;
  storeErrors: Counter<'op'>;
  queueDepth: Gauge<'state'>;
  scans: Counter<'outcome'>;
  pushes: Counter<'outcome' | 'method'>;
  /** Admission-log events dropped unwritten (more distinct ones in one batch window than the recorder holds). */
  admissionsDropped: Counter;
}

export function createWebhookMetrics(opts: { defaultMetrics?: boolean } = {}): WebhookMetrics {
  const registry = new Registry();
  if (opts.defaultMetrics) collectDefaultMetrics({ register: registry });
  return {
    registry,
    decisions: new Counter({
      name: 'portcullis_admission_decisions_total',
      help: 'Admission answers by result (allow, warn, deny), effective mode and reason class',
      labelNames: ['result', 'mode', 'reason'],
      registers: [registry],
    }),
    latency: new Histogram({
      name: 'portcullis_admission_duration_seconds',
      help: 'Time in the webhook per admission review, from its request arriving to its answer being written',
      labelNames: ['result'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    storeErrors: new Counter({
      name: 'portcullis_store_errors_total',
      help: 'Verdict store failures by operation',
      labelNames: ['op'],
      registers: [registry],
    }),
    queueDepth: new Gauge({
      name: 'portcullis_scan_queue_depth',
      help: 'Scans waiting and running',
      labelNames: ['state'],
      registers: [registry],
    }),
    scans: new Counter({
      name: 'portcullis_scans_total',
      help: 'Background scans by outcome',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    pushes: new Counter({
      name: 'portcullis_verdict_pushes_total',
      help: 'Pushed verdicts by method (jws, oidc) and outcome',
      labelNames: ['outcome', 'method'],
      registers: [registry],
    }),
    admissionsDropped: new Counter({
      name: 'portcullis_admission_log_dropped_total',
      help: 'Denied or warned admissions not written to the admission log (its queue was full)',
      registers: [registry],
    }),
  };
}
