import { Cron } from 'croner';
import {
  dbStatus,
  isPortcullisError,
  SEVERITIES,
  type Finding,
  type Policy,
  type Severity,
  type StoredScan,
  type TaskRecord,
  type TaskStore,
} from '../../core/src/index.js';
import { evaluateStored, toImageSummary, type ImageSummary } from './images.js';

/**
 * The console's risk categories: the policy's `vulnerability` type split by where the package comes from (the
 * OS package manager or an application's), then the other risk types as they are.
 */
export const RISK_CATEGORIES = [
  'system-vulnerability',
  'application-vulnerability',
  'sensitive-file',
  'malicious-sample',
  'baseline',
  'build-instruction',
] as const;
export type RiskCategory = (typeof RISK_CATEGORIES)[number];

const OS_PURL = /^pkg:(deb|apk|rpm|alpm)\//;

export function toRiskCategory(f: Finding): RiskCategory {
  if (f.type !== 'vulnerability') return f.type;
  return f.package && OS_PURL.test(f.package.purl) ? 'system-vulnerability' : 'application-vulnerability';
}

type Counts = Record<Severity, number>;
const zero = (): Counts => Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Counts;

export interface Overview {
  images: { total: number; byVerdict: { allow: number; warn: number; deny: number } };
  /** Unsuppressed findings of every stored image, by category and severity. */
  findings: Record<RiskCategory, Counts>;
  /** Newest images the current policy denies: what admission answers for them now. */
  denied: ImageSummary[];
  db: { builtAt?: string; ageMs?: number; error?: string };
  lastTask?: TaskRecord;
  schedule: { scan?: string; nextScan?: string; dbUpdate?: string; nextDbUpdate?: string; timezone: string };
  /** Findings recorded by each retained task (its log), oldest first. */
  trend: { id: string; createdAt: string; status: string; findings: Counts }[];
}

export interface OverviewInput {
  entries: readonly StoredScan[];
  tasks: TaskStore;
  policy: Policy;
  schedule?: { scan?: string; dbUpdate?: string; timezone?: string };
  dbPath?: string;
  now: Date;
  /** How many denied images and trend points to return. */
  limits?: { denied?: number; trend?: number };
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
  const { entries, policy, now } = input;
  const findings = Object.fromEntries(RISK_CATEGORIES.map((c) => [c, zero()])) as Overview['findings'];
  const byVerdict = { allow: 0, warn: 0, deny: 0 };
  const denied: ImageSummary[] = [];
  for (const e of entries) {
    const evaluation = evaluateStored(e, policy, now);
    byVerdict[evaluation.verdict.decision]++;
    for (const f of evaluation.findings) if (!f.suppressedBy) findings[toRiskCategory(f)][f.severity]++;
    if (evaluation.verdict.decision === 'deny') denied.push(toImageSummary(e, policy, now));
  }
  denied.sort((a, b) => b.scannedAt.localeCompare(a.scannedAt));
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
  const nextScan = nextRun(scanCron, timezone, now);
  const nextDbUpdate = nextRun(dbCron, timezone, now);
  return {
    images: { total: entries.length, byVerdict },
    findings,
    denied: denied.slice(0, input.limits?.denied ?? 10),
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
