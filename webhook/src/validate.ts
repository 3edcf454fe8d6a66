import type { IncomingMessage, ServerResponse } from 'node:http';
import { toAdmissionEvents, type AdmissionRecorder } from './admission-log.js';
import type { WebhookConfig } from './config.js';
import { decideAdmissionEager, type AdmissionDecision, type DecideDeps } from './decide.js';
import { PreparedFields, type Logger } from './logger.js';
import type { WebhookMetrics } from './metrics.js';
import { parseAdmissionReview, toAdmissionReviewReply, type AdmissionRequest } from './review.js';

/** An HTTP answer: status and either its JSON text (an admission answer, serialised once) or a body to serialise. */
export type ValidateResult =
  { status: number; json: string; body?: undefined } | { status: number; body: unknown; json?: undefined };

/** A decision's reply serialised once, around its uid: `prefix + JSON.stringify(uid) + suffix`. */
interface ReplyTemplate {
  prefix: string;
  suffix: string;
  /** The decision's part of the admission log line (with the message when it is not an allow). */
  logFields: PreparedFields;
}
const UID_MARK = '\u0000portcullis-uid\u0000';

/** `?timeout=10s` from the apiserver → ms, leaving 250 ms to send the answer. */
function apiserverDeadline(q: unknown): number | undefined {
  const m = typeof q === 'string' ? /^(\d+)s$/.exec(q) : null;
  return m ? Math.max(100, Number(m[1]) * 1000 - 250) : undefined;
}

/** `'3mb'` → bytes (the express/bytes notation used by bodyLimit). */
export function toByteLimit(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(b|kb|mb|gb)?$/i.exec(text.trim());
  if (!m) return 1024 * 1024;
  const unit = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 }[(m[2] ?? 'b').toLowerCase() as 'b'];
  return Math.floor(Number(m[1]) * unit);
}

/** The `/validate` logic, shared by the express route (supertest) and the raw node:http listener (server). */
export function createValidateHandler(opts: {
  config: WebhookConfig;
  logger: Logger;
  metrics: WebhookMetrics;
  decideDeps: DecideDeps;
  /** Where denied and warned admissions are recorded (the console's log); none: not recorded. */
  admissions?: AdmissionRecorder;
}): {
  /** `receivedAt`: when the request arrived (process.hrtime.bigint()), for the latency metric; default now. */
  handle(body: unknown, timeoutParam: unknown, receivedAt?: bigint): ValidateResult | Promise<ValidateResult>;
  listener(req: IncomingMessage, res: ServerResponse): void;
} {
  const { config, logger, metrics, decideDeps, admissions } = opts;
  const limit = toByteLimit(config.bodyLimit);
  // Decisions come from a cache (the same object for the same pod within decisionCacheTtlMs), so the reply
  // and the log's image list are built once per decision, not once per request.
  const templates = new WeakMap<AdmissionDecision, ReplyTemplate>();
  const templateOf = (decision: AdmissionDecision): ReplyTemplate => {
    let t = templates.get(decision);
    if (!t) {
      const reply = toAdmissionReviewReply(UID_MARK, {
        allowed: decision.allowed,
        ...(decision.message !== undefined ? { message: decision.message } : {}),
        ...(decision.code !== undefined ? { code: decision.code } : {}),
        warnings: decision.warnings,
        auditAnnotations: decision.auditAnnotations,
      });
      const text = JSON.stringify(reply);
      const at = text.indexOf(JSON.stringify(UID_MARK));
      t = {
        prefix: text.slice(0, at),
        suffix: text.slice(at + JSON.stringify(UID_MARK).length),
        logFields: PreparedFields.of({
          allowed: decision.allowed,
          result: decision.result,
          mode: decision.mode,
          basis: decision.basis,
          policyDigest: decision.policyDigest,
          images: decision.images.map((i) => ({
            image: i.image,
            ...(i.digest !== undefined ? { digest: i.digest } : {}),
            outcome: i.outcome,
            basis: i.basis,
          })),
          ...(decision.result !== 'allow' ? { message: decision.message } : {}),
        }),
      };
      templates.set(decision, t);
    }
    return t;
  };

  /** A decision failed (a bug, not a finding): answer per the failure mode, loudly, never a silent allow. */
  const failed = (review: AdmissionRequest, err: unknown): ValidateResult => {
    logger.error('decision failed', { uid: review.uid, error: err });
    const open = config.failureMode === 'open';
    const message = `portcullis could not decide (${(err as Error).message}); failing ${open ? 'open' : 'closed'}`;
    metrics.decisions.inc({ result: open ? 'warn' : 'deny', mode: 'enforce', reason: 'failure' });
    return {
      status: 200,
      body: toAdmissionReviewReply(review.uid, {
        allowed: open,
        code: 500,
        message,
        warnings: open ? [message] : [],
      }),
    };
  };

  const answer = (review: AdmissionRequest, decision: AdmissionDecision, start: bigint): ValidateResult => {
    const template = templateOf(decision);
    const outcome = !decision.allowed ? 'deny' : decision.warnings.length > 0 ? 'warn' : 'allow';
    metrics.decisions.inc({ result: outcome, mode: decision.mode, reason: decision.basis });
    metrics.latency.observe({ result: outcome }, Number(process.hrtime.bigint() - start) / 1e9);
    const fields = {
      uid: review.uid,
      kind: review.kind.kind,
      namespace: review.namespace,
      name: review.name,
      operation: review.operation,
      dryRun: review.dryRun,
    };
    logger.log(decision.result === 'allow' ? 'debug' : 'info', 'admission', fields, template.logFields);
    // after the answer is built and without awaiting: recording never delays or fails the admission
    if (decision.result !== 'allow' && admissions)
      admissions.add(toAdmissionEvents(review, decision, decideDeps.now()));
    return { status: 200, json: `${template.prefix}${JSON.stringify(review.uid)}${template.suffix}` };
  };

  /**
   * Answers one review. Synchronous when the decision is (see decideAdmissionEager): the HTTP answer then
   * leaves in the same turn the request body arrived, without a promise.
   */
  function handle(
    body: unknown,
    timeoutParam: unknown,
    start = process.hrtime.bigint(),
  ): ValidateResult | Promise<ValidateResult> {
    let review: AdmissionRequest;
    try {
      review = parseAdmissionReview(body);
    } catch (err) {
      return { status: 400, body: { code: 'WEBHOOK_REVIEW_INVALID', message: (err as Error).message } };
    }
    let decided;
    try {
      decided = decideAdmissionEager(review, decideDeps, { deadlineMs: apiserverDeadline(timeoutParam) });
    } catch (err) {
      return failed(review, err);
    }
    if (decided instanceof Promise)
      return decided.then(
        (d) => answer(review, d, start),
        (err: unknown) => failed(review, err),
      );
    return answer(review, decided, start);
  }

  const send = (res: ServerResponse, r: ValidateResult): void => {
    // One string to end(): node writes headers and body in one go (writeHead + a known length costs a writev).
    res.statusCode = r.status;
    res.setHeader('content-type', 'application/json; charset=utf-8');
    res.end(r.json ?? JSON.stringify(r.body));
  };

  function listener(req: IncomingMessage, res: ServerResponse): void {
    const receivedAt = process.hrtime.bigint();
    const declared = Number(req.headers['content-length'] ?? 0);
    const tooLarge = (): void => {
      send(res, {
        status: 413,
        body: { code: 'WEBHOOK_REVIEW_INVALID', message: `body larger than ${config.bodyLimit}` },
      });
      req.resume();
    };
    if (declared > limit) return tooLarge();
    const chunks: Buffer[] = [];
    let size = 0;
    let aborted = false;
    req.on('data', (c: Buffer) => {
      if (aborted) return;
      size += c.length;
      if (size > limit) {
        aborted = true;
        chunks.length = 0;
        tooLarge();
        return;
      }
      chunks.push(c);
    });
    req.on('error', () => {
      aborted = true;
    });
    req.on('end', () => {
      if (aborted) return;
      let body: unknown;
      try {
        body = JSON.parse((chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size)).toString('utf8'));
      } catch {
        send(res, {
          status: 400,
          body: { code: 'WEBHOOK_REVIEW_INVALID', message: 'body is not valid JSON' },
        });
        return;
      }
      const q = req.url?.indexOf('?') ?? -1;
      const timeout = q >= 0 ? new URLSearchParams(req.url?.slice(q + 1)).get('timeout') : undefined;
      const internal = (err: unknown): void => {
        logger.error('validate handler failed', { error: err });
        send(res, { status: 500, body: { code: 'INTERNAL', message: 'internal error' } });
      };
      let r;
      try {
        r = handle(body, timeout ?? undefined, receivedAt);
      } catch (err) {
        return internal(err);
      }
      if (r instanceof Promise) r.then((v) => send(res, v), internal);
      else send(res, r);
    });
    return undefined;
  }

  return { handle, listener };
}
