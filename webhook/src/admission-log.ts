import { redactSecrets, type AdmissionEvent } from '../../core/src/index.js';
import type { AdmissionDecision } from './decide.js';
import type { Logger } from './logger.js';
import type { WebhookMetrics } from './metrics.js';
import type { AdmissionRequest } from './review.js';
import type { VerdictStore } from './store/index.js';

/** Reasons kept per recorded image: the console shows the first; the rest are context, not an audit trail. */
const MAX_REASONS = 10;

/**
 * The events a decision records for the console's "denied at admission recently": one per image that was not
 * a plain allow, when the answer was a denial or a warning. Allowed pods and dry runs (nothing was admitted or
 * refused) record nothing. Every string passes through the log's redaction step, so a secret in an image
 * reference or a finding's reason never reaches the store.
 */
export function toAdmissionEvents(
  review: AdmissionRequest,
  decision: AdmissionDecision,
  at: Date,
): AdmissionEvent[] {
  if (decision.result === 'allow' || review.dryRun) return [];
  // an allowed non-allow (warn mode, audit mode, break-glass) is a warning: the pod was admitted
  const verdict: AdmissionEvent['verdict'] = decision.allowed ? 'warn' : 'deny';
  const pod = review.name ?? toGenerateName(review.object);
  return decision.images
    .filter((j) => j.outcome !== 'allow')
    .map((j) => ({
      at: at.toISOString(),
      image: redactSecrets(j.image),
      ...(j.digest !== undefined ? { digest: j.digest } : {}),
      namespace: review.namespace ?? '',
      ...(pod !== undefined ? { pod: redactSecrets(pod) } : {}),
      verdict,
      reasons: [j.summary, ...j.details].slice(0, MAX_REASONS).map(redactSecrets),
    }));
}

/**
 * Records a decision's events without holding the answer: the reply has already been built, and a store
 * failure is logged and counted (`portcullis_store_errors_total{op="record-admission"}`), never an admission
 * failure.
 */
export function recordAdmissionEvents(
  events: AdmissionEvent[],
  deps: { store: VerdictStore; logger: Logger; metrics: WebhookMetrics },
): void {
  for (const event of events)
    void (async () => {
      try {
        await deps.store.recordAdmission(event);
      } catch (err) {
        deps.metrics.storeErrors.inc({ op: 'record-admission' });
        deps.logger.warn('admission not recorded', { image: event.image, error: err });
      }
    })();
}

function toGenerateName(object: unknown): string | undefined {
  const meta = (object as { metadata?: { generateName?: unknown } } | undefined)?.metadata;
  return typeof meta?.generateName === 'string' ? meta.generateName : undefined;
}
