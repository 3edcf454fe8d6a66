import { PortcullisError, type Problem } from '../../core/src/index.js';
import { isObj, type Raw } from './raw.js';

/** `{group, version, kind}` of an admission request. */
export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

/** The parts of `admission.k8s.io/v1` AdmissionRequest the webhook reads. */
export interface AdmissionRequest {
  uid: string;
  kind: GroupVersionKind;
  resource?: { group: string; version: string; resource: string };
  subResource?: string;
  name?: string;
  namespace?: string;
  operation: 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';
  userInfo?: { username?: string; groups?: string[] };
  object?: Record<string, unknown> | null;
  oldObject?: Record<string, unknown> | null;
  dryRun: boolean;
}

/** `admission.k8s.io/v1` AdmissionResponse as a validating webhook may send it (never a patch). */
export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  status?: { code: number; message: string; reason?: string };
  warnings?: string[];
  auditAnnotations?: Record<string, string>;
}

export interface AdmissionReviewReply {
  apiVersion: 'admission.k8s.io/v1';
  kind: 'AdmissionReview';
  response: AdmissionResponse;
}

const OPERATIONS = ['CREATE', 'UPDATE', 'DELETE', 'CONNECT'] as const;

/**
 * Checks an AdmissionReview body and returns its request. Collects every problem; throws
 * WEBHOOK_REVIEW_INVALID (answered with HTTP 400) so a malformed review never turns into an allow.
 */
export function parseAdmissionReview(body: unknown): AdmissionRequest {
  const problems: Problem[] = [];
  if (!isObj(body))
    throw new PortcullisError(
      'WEBHOOK_REVIEW_INVALID',
      'body is not a JSON object (expected an AdmissionReview)',
    );
  if (body.apiVersion !== 'admission.k8s.io/v1')
    problems.push({
      path: '/apiVersion',
      message: `must be admission.k8s.io/v1 (got ${JSON.stringify(body.apiVersion)})`,
    });
  if (body.kind !== 'AdmissionReview')
    problems.push({ path: '/kind', message: `must be AdmissionReview (got ${JSON.stringify(body.kind)})` });
  const r = body.request;
  if (!isObj(r)) {
    problems.push({ path: '/request', message: 'is required' });
    throw invalid(problems);
  }
  if (typeof r.uid !== 'string' || r.uid === '')
    problems.push({ path: '/request/uid', message: 'must be a non-empty string' });
  const kind = r.kind;
  if (
    !isObj(kind) ||
    typeof kind.kind !== 'string' ||
    typeof kind.version !== 'string' ||
    typeof (kind.group ?? '') !== 'string'
  )
    problems.push({ path: '/request/kind', message: 'must be {group, version, kind}' });
  if (typeof r.operation !== 'string' || !(OPERATIONS as readonly string[]).includes(r.operation))
    problems.push({ path: '/request/operation', message: `must be one of ${OPERATIONS.join(', ')}` });
  for (const k of ['object', 'oldObject'] as const)
    if (r[k] !== undefined && r[k] !== null && !isObj(r[k]))
      problems.push({ path: `/request/${k}`, message: 'must be an object' });
  for (const k of ['namespace', 'name', 'subResource'] as const)
    if (r[k] !== undefined && typeof r[k] !== 'string')
      problems.push({ path: `/request/${k}`, message: 'must be a string' });
  if (r.dryRun !== undefined && r.dryRun !== null && typeof r.dryRun !== 'boolean')
    problems.push({ path: '/request/dryRun', message: 'must be a boolean' });
  if (problems.length > 0) throw invalid(problems);
  const k = kind as Raw;
  return {
    uid: r.uid as string,
    kind: {
      group: (k.group as string | undefined) ?? '',
      version: k.version as string,
      kind: k.kind as string,
    },
    ...(isObj(r.resource)
      ? { resource: r.resource as unknown as NonNullable<AdmissionRequest['resource']> }
      : {}),
    ...(typeof r.subResource === 'string' && r.subResource ? { subResource: r.subResource } : {}),
    ...(typeof r.name === 'string' ? { name: r.name } : {}),
    ...(typeof r.namespace === 'string' && r.namespace ? { namespace: r.namespace } : {}),
    operation: r.operation as AdmissionRequest['operation'],
    ...(isObj(r.userInfo) ? { userInfo: r.userInfo as AdmissionRequest['userInfo'] } : {}),
    object: (r.object as Raw | null | undefined) ?? null,
    oldObject: (r.oldObject as Raw | null | undefined) ?? null,
    dryRun: r.dryRun === true,
  };
}

function invalid(problems: Problem[]): PortcullisError {
  const list = problems.map((p) => `${p.path} ${p.message}`).join('; ');
  return new PortcullisError('WEBHOOK_REVIEW_INVALID', `invalid AdmissionReview: ${list}`, { problems });
}

/** Kubernetes keeps warnings under 120 characters; longer ones are cut with an ellipsis. */
export const MAX_WARNING_LENGTH = 120;
/** Beyond this many, warnings are summarised (each becomes an HTTP Warning header at the client). */
export const MAX_WARNINGS = 20;

/** Trims every warning to ≤ 120 characters and caps their number. */
export function toWarnings(lines: string[]): string[] {
  const out = lines.map((w) =>
    w.length <= MAX_WARNING_LENGTH ? w : `${w.slice(0, MAX_WARNING_LENGTH - 1)}…`,
  );
  if (out.length <= MAX_WARNINGS) return out;
  return [...out.slice(0, MAX_WARNINGS - 1), `… and ${out.length - MAX_WARNINGS + 1} more warnings`];
}

/** Builds the v1 AdmissionReview reply. The uid is echoed; a deny always carries a status code ≥ 400 and a message. */
export function toAdmissionReviewReply(
  uid: string,
  answer: {
    allowed: boolean;
    message?: string;
    code?: number;
    warnings?: string[];
    auditAnnotations?: Record<string, string>;
  },
): AdmissionReviewReply {
  const response: AdmissionResponse = { uid, allowed: answer.allowed };
  if (!answer.allowed) {
    response.status = {
      code: Math.max(answer.code ?? 403, 400),
      message: answer.message ?? 'denied by portcullis',
      reason: 'Forbidden',
    };
  }
  if (answer.warnings && answer.warnings.length > 0) response.warnings = toWarnings(answer.warnings);
  if (answer.auditAnnotations && Object.keys(answer.auditAnnotations).length > 0)
    response.auditAnnotations = answer.auditAnnotations;
  return { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response };
}
