import { severityRank, type Finding, type ScanResult, type Severity } from '../../core/src/index.js';

/** GitHub shows at most this many annotations of each level per step. */
export const ANNOTATIONS_PER_LEVEL = 10;

export type AnnotationLevel = 'error' | 'warning' | 'notice';

export interface Annotation {
  level: AnnotationLevel;
  message: string;
  title: string;
  file?: string;
  startLine?: number;
  endLine?: number;
  severity: Severity;
}

export interface AnnotationPlan {
  emit: Annotation[];
  /** Annotations not emitted because of the per-level cap, by level. */
  omitted: Record<AnnotationLevel, number>;
}

/** Dockerfile findings by severity (critical/high → error, medium → warning, else notice); image findings notices. */
function toLevel(f: Finding, inDockerfile: boolean): AnnotationLevel {
  if (!inDockerfile) return 'notice';
  if (f.severity === 'critical' || f.severity === 'high') return 'error';
  return f.severity === 'medium' ? 'warning' : 'notice';
}

function toMessage(f: Finding, inDockerfile: boolean): string {
  const where = inDockerfile
    ? ''
    : ` (${f.package ? `${f.package.name} ${f.package.version}` : (f.location.path ?? f.location.source ?? 'image')})`;
  // evidence is redacted by the analyzers (never a secret value); titles are rule text
  const evidence = f.evidence !== undefined ? `: ${f.evidence}` : '';
  const fix = f.package?.fixedVersion !== undefined ? ` — fixed in ${f.package.fixedVersion}` : '';
  return `${f.severity}: ${f.title}${where}${fix}${evidence}`.replace(/[\r\n]+/g, ' ');
}

/**
 * The annotations to emit for a set of findings: the ANNOTATIONS_PER_LEVEL most severe of each level (then by
 * file and line), and how many more each level had, so the summary can say so instead of dropping them silently.
 */
export function planAnnotations(findings: readonly Finding[], scan: ScanResult): AnnotationPlan {
  const all: Annotation[] = findings.map((f) => {
    const path = f.location.path;
    const inDockerfile = scan.dockerfile !== undefined && path === scan.dockerfile;
    const a: Annotation = {
      level: toLevel(f, inDockerfile),
      message: toMessage(f, inDockerfile),
      title: f.ruleId ?? f.id,
      severity: f.severity,
    };
    if (inDockerfile) {
      a.file = path;
      if (f.location.line !== undefined) {
        a.startLine = f.location.line;
        a.endLine = f.location.endLine ?? f.location.line;
      }
    }
    return a;
  });
  all.sort(
    (a, b) =>
      severityRank(b.severity) - severityRank(a.severity) ||
      (a.file ?? '\uffff').localeCompare(b.file ?? '\uffff') ||
      (a.startLine ?? 0) - (b.startLine ?? 0) ||
      a.title.localeCompare(b.title),
  );
  const emit: Annotation[] = [];
  const omitted: Record<AnnotationLevel, number> = { error: 0, warning: 0, notice: 0 };
  const used: Record<AnnotationLevel, number> = { error: 0, warning: 0, notice: 0 };
  for (const a of all) {
    if (used[a.level] < ANNOTATIONS_PER_LEVEL) {
      used[a.level]++;
      emit.push(a);
    } else {
      omitted[a.level]++;
    }
  }
  return { emit, omitted };
}
