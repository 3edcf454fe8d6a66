import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { PortcullisError, type Finding } from '../../core/src/index.js';

/** The parts of a finding that identify it across commits, as both a ScanResult and a JSON report carry them. */
interface FindingIdentity {
  type: string;
  id: string;
  location: { path?: string };
  package?: { purl?: string };
  evidence?: string;
}

/**
 * Fingerprints for "only new" that do not depend on line numbers: a Dockerfile instruction moved by an edit
 * above it is the same finding. Identity = type, id, package, path and, for a build
 * instruction, its (already redacted, whitespace-collapsed) text — then the n-th repeat of that identity, so two
 * identical risky lines are two findings and adding a third makes one new one.
 */
export function toFingerprints(findings: readonly FindingIdentity[]): string[] {
  const seen = new Map<string, number>();
  return findings.map((f) => {
    const text = f.type === 'build-instruction' ? (f.evidence ?? '').replace(/\s+/g, ' ').trim() : '';
    const key = [
      f.type,
      f.id,
      f.package?.purl ?? '',
      (f.location.path ?? '').replace(/^\.\//, ''),
      text,
    ].join('\0');
    const n = seen.get(key) ?? 0;
    seen.set(key, n + 1);
    return createHash('sha256').update(`${key}\0${n}`).digest('hex').slice(0, 32);
  });
}

/** Reads the fingerprints of a JSON report (`portcullis scan --format json`, or this Action's `report`). */
export function readBaselineFingerprints(path: string): Set<string> {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new PortcullisError(
      'USAGE_INVALID',
      `baseline-report ${path}: not a readable JSON report (${(err as Error).message.split('\n')[0] ?? ''})`,
      { cause: err },
    );
  }
  const findings = (data as { findings?: unknown } | null)?.findings;
  if (!Array.isArray(findings) || !findings.every(isIdentity)) {
    throw new PortcullisError(
      'USAGE_INVALID',
      `baseline-report ${path}: expected a Portcullis JSON report with a findings list`,
    );
  }
  return new Set(toFingerprints(findings));
}

function isIdentity(f: unknown): f is FindingIdentity {
  const o = f as Partial<FindingIdentity> | null;
  return (
    typeof o === 'object' &&
    o !== null &&
    typeof o.type === 'string' &&
    typeof o.id === 'string' &&
    typeof o.location === 'object' &&
    o.location !== null
  );
}

/** Splits findings into new and already-known ones, keeping order. */
export function splitByBaseline(
  findings: readonly Finding[],
  baseline: Set<string> | undefined,
): { fresh: Finding[]; known: Finding[] } {
  if (!baseline) return { fresh: [...findings], known: [] };
  const prints = toFingerprints(findings);
  const fresh: Finding[] = [];
  const known: Finding[] = [];
  findings.forEach((f, i) => (baseline.has(prints[i] as string) ? known : fresh).push(f));
  return { fresh, known };
}
