import type { AnalysisResult, ImageContext } from '../analyzer.js';
import type { Finding } from '../../types/finding.js';
import { toMatchFinding } from './findings.js';
import { isSecretRuleEnabled, type ContentRule, type SecretRuleSet } from './rules.js';
import { scanText } from './scan-text.js';

/** Virtual path the image config strings are scanned as (so `.env`-style rules apply to `ENV`). */
const CONFIG_VIRTUAL_PATH = '/image-config.env';

interface ConfigString {
  source: string;
  text: string;
  layerDigest?: string;
}

/**
 * Scans the config `Env`, `Labels` and history `created_by` strings, where build secrets often leak.
 * Env entries (and labels) are scanned together, one per line, so an access key ID and its secret in
 * two variables still make one pair finding.
 */
export function analyzeImageConfig(ctx: ImageContext, rules: SecretRuleSet): AnalysisResult {
  const enabled = (r: ContentRule): boolean => isSecretRuleEnabled(r, ctx.options.secret);
  const config = ctx.image.config;
  const env = (config.config?.Env ?? []).map((text, i) => ({ source: `config.Env[${i}]`, text }));
  const labels = Object.entries(config.config?.Labels ?? {}).map(([k, v]) => ({
    source: `config.Labels[${JSON.stringify(k)}]`,
    text: `${k}=${v}`,
  }));
  const history: ConfigString[] = [];
  let layer = 0;
  (config.history ?? []).forEach((h, i) => {
    // non-empty history entries map, in order, onto the image's layers
    const layerDigest = h.empty_layer ? undefined : ctx.image.layers[layer++]?.digest;
    if (!h.created_by) return;
    const entry: ConfigString = { source: `history[${i}].created_by`, text: h.created_by };
    if (layerDigest) entry.layerDigest = layerDigest;
    history.push(entry);
  });
  const secrets: string[] = [];
  const findings = [
    ...scanTogether(env, rules, enabled, secrets),
    ...scanTogether(labels, rules, enabled, secrets),
    ...history.flatMap((h) => scanOne(h, rules, enabled, secrets)),
  ];
  return { findings, secrets };
}

function scanTogether(
  entries: ConfigString[],
  rules: SecretRuleSet,
  enabled: (r: ContentRule) => boolean,
  secrets: string[],
): Finding[] {
  if (entries.some((e) => /[\r\n]/.test(e.text)))
    return entries.flatMap((e) => scanOne(e, rules, enabled, secrets));
  const text = entries.map((e) => e.text).join('\n');
  return scanText(text, CONFIG_VIRTUAL_PATH, rules, enabled).flatMap((m) => {
    secrets.push(...m.secrets);
    const entry = entries[m.line - 1];
    return entry ? [toMatchFinding(m, { source: entry.source }, false)] : [];
  });
}

function scanOne(
  entry: ConfigString,
  rules: SecretRuleSet,
  enabled: (r: ContentRule) => boolean,
  secrets: string[],
): Finding[] {
  return scanText(entry.text, CONFIG_VIRTUAL_PATH, rules, enabled).map((m) => {
    secrets.push(...m.secrets);
    return toMatchFinding(
      m,
      entry.layerDigest ? { source: entry.source, layerDigest: entry.layerDigest } : { source: entry.source },
      false,
    );
  });
}
