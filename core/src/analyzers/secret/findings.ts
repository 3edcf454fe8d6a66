import type { Finding, FindingLocation } from '../../types/finding.js';
import type { ImageFile } from '../../types/file.js';
import { redact } from '../redact.js';
import type { PathRule } from './rules.js';
import type { SecretMatch } from './scan-text.js';

/** Builds the finding for a content match; every secret value goes through `redact`. */
export function toMatchFinding(m: SecretMatch, where: FindingLocation, withLine = true): Finding {
  const location: FindingLocation = { ...where };
  if (withLine) {
    location.line = m.line;
    if (m.endLine !== undefined) location.endLine = m.endLine;
  }
  const finding: Finding = {
    type: 'sensitive-file',
    id: m.id,
    ruleId: m.id,
    severity: m.severity,
    title: m.title,
    location,
    remediation: m.rule.remediation,
  };
  if (m.rule.description) finding.description = m.rule.description;
  const evidence = m.secrets
    .filter((s) => s !== '')
    .map(redact)
    .join(' / ');
  if (evidence) finding.evidence = evidence;
  return finding;
}

/** Builds the finding for a path rule (no line, no evidence). */
export function toPathFinding(rule: PathRule, location: FindingLocation): Finding {
  const finding: Finding = {
    type: 'sensitive-file',
    id: rule.id,
    ruleId: rule.id,
    severity: rule.severity,
    title: rule.title,
    location: { ...location },
    remediation: rule.remediation,
  };
  if (rule.description) finding.description = rule.description;
  return finding;
}

/** Marks a finding from a file a later layer deleted or overwrote. */
export function withHidden(finding: Finding, file: ImageFile): Finding {
  if (!file.hidden) return finding;
  finding.hidden = true;
  const how = file.hidden === 'deleted' ? 'deleted' : 'overwritten';
  finding.description =
    `${finding.description ?? ''} The file was ${how} by a later layer but is still stored in layer ${file.layerDigest} and can be extracted from the image.`.trim();
  return finding;
}
