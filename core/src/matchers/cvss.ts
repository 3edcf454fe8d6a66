import * as cvssNamespace from 'ae-cvss-calculator';

// A CommonJS package: under native ESM its exports sit on `default`, under a CJS transpile on the namespace.
type CvssLib = typeof cvssNamespace;
const { Cvss2, Cvss4P0 } = (cvssNamespace as unknown as { default?: CvssLib }).default ?? cvssNamespace;

const AV: Record<string, number> = { N: 0.85, A: 0.62, L: 0.55, P: 0.2 };
const AC: Record<string, number> = { L: 0.77, H: 0.44 };
const PR_UNCHANGED: Record<string, number> = { N: 0.85, L: 0.62, H: 0.27 };
const PR_CHANGED: Record<string, number> = { N: 0.85, L: 0.68, H: 0.5 };
const UI: Record<string, number> = { N: 0.85, R: 0.62 };
const CIA: Record<string, number> = { H: 0.56, L: 0.22, N: 0 };

/** CVSS v3.1 Roundup: the smallest number with one decimal that is ≥ x, free of float noise. */
function roundUp(x: number): number {
  const i = Math.round(x * 100000);
  return i % 10000 === 0 ? i / 100000 : (Math.floor(i / 10000) + 1) / 10;
}

/**
 * The CVSS v3.0/v3.1 base score of a vector (`CVSS:3.1/AV:N/AC:L/…`), by the v3.1 specification's
 * formula (section 7.1). Returns undefined for a vector missing a base metric or with a bad value.
 */
export function toCvss3BaseScore(vector: string): number | undefined {
  const parts = vector.split('/');
  if (!/^CVSS:3\.[01]$/.test(parts[0] ?? '')) return undefined;
  const m: Record<string, string> = {};
  for (const p of parts.slice(1)) {
    const [k, v] = p.split(':');
    if (k && v) m[k] = v;
  }
  const scope = m.S;
  const av = AV[m.AV ?? ''];
  const ac = AC[m.AC ?? ''];
  const pr = (scope === 'C' ? PR_CHANGED : PR_UNCHANGED)[m.PR ?? ''];
  const ui = UI[m.UI ?? ''];
  const c = CIA[m.C ?? ''];
  const i = CIA[m.I ?? ''];
  const a = CIA[m.A ?? ''];
  if (scope !== 'U' && scope !== 'C') return undefined;
  if (av === undefined || ac === undefined || pr === undefined || ui === undefined) return undefined;
  if (c === undefined || i === undefined || a === undefined) return undefined;
  const iss = 1 - (1 - c) * (1 - i) * (1 - a);
  const impact = scope === 'U' ? 6.42 * iss : 7.52 * (iss - 0.029) - 3.25 * Math.pow(iss - 0.02, 15);
  const exploitability = 8.22 * av * ac * pr * ui;
  if (impact <= 0) return 0;
  return scope === 'U'
    ? roundUp(Math.min(impact + exploitability, 10))
    : roundUp(Math.min(1.08 * (impact + exploitability), 10));
}

/** CVSS v4.0 score (macrovector method) via ae-cvss-calculator; undefined when the vector is invalid. */
export function toCvss4Score(vector: string): number | undefined {
  try {
    const score = new Cvss4P0(vector).calculateScores().overall;
    return typeof score === 'number' && Number.isFinite(score) ? score : undefined;
  } catch {
    return undefined;
  }
}

/** CVSS v2 base score via ae-cvss-calculator; undefined when the vector is invalid. */
export function toCvss2Score(vector: string): number | undefined {
  try {
    const score = new Cvss2(vector).calculateScores().base;
    return typeof score === 'number' && Number.isFinite(score) ? score : undefined;
  } catch {
    return undefined;
  }
}
