import { Cron } from 'croner';
import {
  ADMISSION_LOG_CAP,
  dbStatus,
  isPortcullisError,
  SEVERITIES,
  type AdmissionEvent,
  type Policy,
  type Severity,
  type TaskRecord,
  type TaskStore,
  type VerdictStore,
} from '../../core/src/index.js';
import type { IndexedImage } from './image-index.js';
import type { ImageSummary } from './images.js';
import { RISK_CATEGORIES, type RiskCategory } from './risk-categories.js';

export { RISK_CATEGORIES, toRiskCategory, type RiskCategory } from './risk-categories.js';

type Counts = Record<Severity, number>;
const zero = (): Counts => Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Counts;

export interface Overview {
  images: { total: number; byVerdict: { allow: number; warn: number; deny: number } };
  /** Unsuppressed findings of every stored image, by category and severity. */
  findings: Record<RiskCategory, Counts>;
  /** Newest images the current policy denies: what admission answers for them now. */
  denied: ImageSummary[];
  /** Newest pods the webhook denied at admission (recorded decisions, not today's policy), newest first. */
  admissions: AdmissionEvent[];
  db: { builtAt?: string; ageMs?: number; error?: string };
  lastTask?: TaskRecord;
  schedule: { scan?: string; nextScan?: string; dbUpdate?: string; nextDbUpdate?: string; timezone: string };
  /** Findings recorded by each retained task (its log), oldest first. */
  trend: { id: string; createdAt: string; status: string; findings: Counts }[];
}

export interface OverviewInput {
  /** Every stored image, evaluated (the image index's snapshot). */
  images: readonly IndexedImage[];
  tasks: TaskStore;
  /** Where the webhook records admission decisions (the verdict store both share). */
  verdicts: Pick<VerdictStore, 'listAdmissions'>;
  policy: Policy;
  schedule?: { scan?: string; dbUpdate?: string; timezone?: string };
  dbPath?: string;
  now: Date;
  /** How many denied images and trend points to return. */
  limits?: { denied?: number; trend?: number; admissions?: number };
}

function nextRun(cron: string | undefined, timezone: string, now: Date): string | undefined {
  if (!cron) return undefined;
  try {
    return new Cron(cron, { paused: true, timezone }).nextRun(now)?.toISOString();
  } catch {
    return undefined;
  }
}

function readDbAge(dbPath: string | undefined, now: Date): Overview['db'] {
  if (!dbPath) return { error: 'no vulnerability DB configured' };
  try {
    const s = dbStatus(dbPath);
    // the DB is as fresh as its newest import (`db update` adds sources without rebuilding)
    const newest = [s.builtAt, ...s.sources.map((x) => x.importedAt)].filter(Boolean).sort().pop();
    return newest ? { builtAt: newest, ageMs: now.getTime() - new Date(newest).getTime() } : {};
  } catch (err) {
    return { error: isPortcullisError(err) ? `${err.code}: ${err.message}` : 'DB unreadable' };
  }
}

/** `/api/v1/overview`: what the console's first page shows, computed from the stores and the policy. */
export async function toOverview(input: OverviewInput): Promise<Overview> {
  const { policy, now } = input;
  const findings = Object.fromEntries(RISK_CATEGORIES.map((c) => [c, zero()])) as Overview['findings'];
  const byVerdict = { allow: 0, warn: 0, deny: 0 };
  const denied: ImageSummary[] = [];
  for (const i of input.images) {
    byVerdict[i.summary.verdict]++;
    for (const c of RISK_CATEGORIES) for (const s of SEVERITIES) findings[c][s] += i.findings[c][s];
    if (i.summary.verdict === 'deny') denied.push(i.summary);
  }
  denied.sort((a, b) => (a.scannedAt < b.scannedAt ? 1 : a.scannedAt > b.scannedAt ? -1 : 0));
  const timezone = input.schedule?.timezone ?? policy.scan?.timezone ?? 'Etc/UTC';
  const scanCron = input.schedule?.scan ?? policy.scan?.schedule;
  const dbCron = input.schedule?.dbUpdate ?? policy.scan?.dbUpdate;
  const recent = await input.tasks.list({ limit: input.limits?.trend ?? 30 });
  const trend: Overview['trend'] = [];
  for (const t of [...recent].reverse()) {
    const counts = zero();
    for (const entry of await input.tasks.readLog(t.id))
      for (const s of SEVERITIES) counts[s] += entry.findings?.[s] ?? 0;
    trend.push({ id: t.id, createdAt: t.createdAt, status: t.status, findings: counts });
  }
  // the whole (capped) log, so a burst of warnings does not hide the denials before it
  const admissions = (await input.verdicts.listAdmissions(ADMISSION_LOG_CAP))
    .filter((a) => a.verdict === 'deny')
    .slice(0, input.limits?.admissions ?? 10);
  const nextScan = nextRun(scanCron, timezone, now);
  const nextDbUpdate = nextRun(dbCron, timezone, now);
  return {
    images: { total: input.images.length, byVerdict },
    findings,
    denied: denied.slice(0, input.limits?.denied ?? 10),
    admissions,
    db: readDbAge(input.dbPath, now),
    ...(recent[0] ? { lastTask: recent[0] } : {}),
    schedule: {
      timezone,
      ...(scanCron ? { scan: scanCron } : {}),
      ...(nextScan ? { nextScan } : {}),
      ...(dbCron ? { dbUpdate: dbCron } : {}),
      ...(nextDbUpdate ? { nextDbUpdate } : {}),
    },
    trend,
  };
}
