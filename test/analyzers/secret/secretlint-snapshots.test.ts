import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { secretAnalyzer } from '../../../core/src/analyzers/secret/index.js';
import type { Finding } from '../../../core/src/types/finding.js';
import type { ImageFile } from '../../../core/src/types/file.js';
import { FIXTURES } from '../../helpers/env.js';

const SNAPSHOTS = join(FIXTURES, 'secrets', 'secretlint-snapshots');

/**
 * secretlint `rule:messageId` → the Portcullis rule ids that must report it, or why it is out of scope.
 * Every messageId seen in the snapshots must be listed here (the test fails on an unknown one).
 */
const MAPPING: Record<string, string[] | { unmapped: string }> = {
  'secretlint-rule-aws:AWSAccessKeyID': ['PCS-SECRET-AWS-ACCESS-KEY-ID', 'PCS-SECRET-AWS-ACCESS-KEY-PAIR'],
  'secretlint-rule-aws:AWSSecretAccessKey': [
    'PCS-SECRET-AWS-SECRET-ACCESS-KEY',
    'PCS-SECRET-AWS-ACCESS-KEY-PAIR',
  ],
  'secretlint-rule-aws:AWSAccountID': { unmapped: 'an account id is an identifier, not a credential' },
  'secretlint-rule-azure:AzureClientSecret': [
    'PCS-SECRET-AZURE-CLIENT-SECRET',
    'PCS-SECRET-AZURE-CLIENT-SECRET-VALUE',
  ],
  'secretlint-rule-azure:AzureClientId': { unmapped: 'a client id is a public identifier, not a credential' },
  'secretlint-rule-azure:AzureTenantId': { unmapped: 'a tenant id is a public identifier, not a credential' },
  'secretlint-rule-basicauth:BasicAuth': ['PCS-SECRET-BASIC-AUTH-URL'],
  'secretlint-rule-database-connection-string:MongoDBConnection': ['PCS-SECRET-DATABASE-URL-CREDENTIALS'],
  'secretlint-rule-database-connection-string:MySQLConnection': ['PCS-SECRET-DATABASE-URL-CREDENTIALS'],
  'secretlint-rule-database-connection-string:PostgreSQLConnection': ['PCS-SECRET-DATABASE-URL-CREDENTIALS'],
  'secretlint-rule-docker:DOCKER_PERSONAL_ACCESS_TOKEN': ['PCS-SECRET-DOCKER-HUB-TOKEN'],
  'secretlint-rule-gcp:PrivateKeyJSON': ['PCS-SECRET-GCP-SERVICE-ACCOUNT'],
  'secretlint-rule-gcp:PrivateKeyP12': ['PCS-SECRET-PKCS12-FILE'],
  'secretlint-rule-github:GITHUB_TOKEN': [
    'PCS-SECRET-GITHUB-TOKEN',
    'PCS-SECRET-GITHUB-APP-INSTALLATION-TOKEN',
    'PCS-SECRET-GITHUB-FINE-GRAINED-TOKEN',
  ],
  'secretlint-rule-gitlab:GITLAB_PERSONAL_ACCESS_TOKEN': ['PCS-SECRET-GITLAB-TOKEN'],
  'secretlint-rule-no-dotenv:FOUND_DOTENV_FILE': ['PCS-SECRET-DOTENV-FILE'],
  'secretlint-rule-npm:NPM_ACCESS_TOKEN': ['PCS-SECRET-NPM-TOKEN'],
  'secretlint-rule-npm:Npmrc_authToken': ['PCS-SECRET-NPMRC-AUTH-TOKEN'],
  'secretlint-rule-npm:PackageJSON_xOauthToken': ['PCS-SECRET-GITHUB-TOKEN-IN-URL'],
  'secretlint-rule-privatekey:PrivateKey': ['PCS-SECRET-PRIVATE-KEY', 'PCS-SECRET-CERTIFICATE-PRIVATE-KEY'],
  'secretlint-rule-slack:SLACK_TOKEN': ['PCS-SECRET-SLACK-TOKEN', 'PCS-SECRET-SLACK-APP-TOKEN'],
  'secretlint-rule-slack:IncomingWebhook': ['PCS-SECRET-SLACK-WEBHOOK'],
  'secretlint-rule-openai:OPENAI_TOKEN': ['PCS-SECRET-OPENAI-API-KEY'],
  'secretlint-rule-anthropic:ANTHROPIC_API_KEY': ['PCS-SECRET-ANTHROPIC-API-KEY'],
  'secretlint-rule-stripe:STRIPE_SECRET_KEY_LIVE': ['PCS-SECRET-STRIPE-SECRET-KEY'],
  'secretlint-rule-stripe:STRIPE_SECRET_KEY_TEST': ['PCS-SECRET-STRIPE-SECRET-KEY'],
  'secretlint-rule-stripe:STRIPE_RESTRICTED_KEY_LIVE': ['PCS-SECRET-STRIPE-SECRET-KEY'],
  'secretlint-rule-stripe:STRIPE_RESTRICTED_KEY_TEST': ['PCS-SECRET-STRIPE-SECRET-KEY'],
  'secretlint-rule-sendgrid:SENDGRID_KEY': ['PCS-SECRET-SENDGRID-API-KEY'],
  'secretlint-rule-huggingface:HUGGINGFACE_USER_ACCESS_TOKEN': ['PCS-SECRET-HUGGINGFACE-TOKEN'],
  'secretlint-rule-hashicorp-vault:HASHICORP_VAULT_SERVICE_TOKEN': ['PCS-SECRET-VAULT-TOKEN'],
  'secretlint-rule-hashicorp-vault:HASHICORP_VAULT_BATCH_TOKEN': ['PCS-SECRET-VAULT-TOKEN'],
  'secretlint-rule-hashicorp-vault:HASHICORP_VAULT_RECOVERY_TOKEN': ['PCS-SECRET-VAULT-TOKEN'],
  'secretlint-rule-databricks:DATABRICKS_PERSONAL_ACCESS_TOKEN': ['PCS-SECRET-DATABRICKS-TOKEN'],
  'secretlint-rule-linear:LINEAR_API_TOKEN': ['PCS-SECRET-LINEAR-API-KEY'],
  'secretlint-rule-notion:NOTION_INTEGRATION_TOKEN': ['PCS-SECRET-NOTION-TOKEN'],
  'secretlint-rule-figma:FIGMA_PERSONAL_ACCESS_TOKEN': ['PCS-SECRET-FIGMA-TOKEN'],
  'secretlint-rule-groq:GROQ_API_KEY': ['PCS-SECRET-GROQ-API-KEY'],
  'secretlint-rule-vercel:VERCEL_PERSONAL_ACCESS_TOKEN': ['PCS-SECRET-VERCEL-TOKEN'],
  'secretlint-rule-vercel:VERCEL_INTEGRATION_TOKEN': ['PCS-SECRET-VERCEL-TOKEN'],
  'secretlint-rule-vercel:VERCEL_APP_ACCESS_TOKEN': ['PCS-SECRET-VERCEL-TOKEN'],
  'secretlint-rule-vercel:VERCEL_APP_REFRESH_TOKEN': ['PCS-SECRET-VERCEL-TOKEN'],
  'secretlint-rule-vercel:VERCEL_AI_GATEWAY_API_KEY': ['PCS-SECRET-VERCEL-TOKEN'],
  'secretlint-rule-shopify:SHOPIFY_KEY': ['PCS-SECRET-SHOPIFY-TOKEN'],
  'secretlint-rule-cloudflare:CLOUDFLARE_ACCOUNT_API_TOKEN': ['PCS-SECRET-CLOUDFLARE-TOKEN'],
  'secretlint-rule-cloudflare:CLOUDFLARE_USER_API_TOKEN': ['PCS-SECRET-CLOUDFLARE-TOKEN'],
  'secretlint-rule-cloudflare:CLOUDFLARE_GLOBAL_API_KEY': ['PCS-SECRET-CLOUDFLARE-TOKEN'],
  'secretlint-rule-grafana:GRAFANA_CLOUD_API_TOKEN': ['PCS-SECRET-GRAFANA-CLOUD-TOKEN'],
  'secretlint-rule-grafana:GRAFANA_SERVICE_ACCOUNT_TOKEN': ['PCS-SECRET-GRAFANA-SERVICE-ACCOUNT-TOKEN'],
  'secretlint-rule-1password:OPS_TOKEN': ['PCS-SECRET-1PASSWORD-SERVICE-ACCOUNT-TOKEN'],
  'secretlint-rule-tailscale:TAILSCALE_API_KEY': ['PCS-SECRET-TAILSCALE-KEY'],
  'secretlint-rule-tailscale:TAILSCALE_AUTH_KEY': ['PCS-SECRET-TAILSCALE-KEY'],
  'secretlint-rule-tailscale:TAILSCALE_CLIENT_KEY': ['PCS-SECRET-TAILSCALE-KEY'],
  'secretlint-rule-tailscale:TAILSCALE_SCIM_KEY': ['PCS-SECRET-TAILSCALE-KEY'],
  'secretlint-rule-tailscale:TAILSCALE_WEBHOOK_KEY': ['PCS-SECRET-TAILSCALE-KEY'],
  'secretlint-rule-tailscale:TAILSCALE_KEY': ['PCS-SECRET-TAILSCALE-KEY'],
  'secretlint-rule-filter-comments:PATTERN': {
    unmapped:
      'reports come from a user-configured secretlint-rule-pattern; Portcullis has no user regex rules in policy',
  },
  'secretlint-rule-pattern:PATTERN': {
    unmapped: 'user-configured patterns (secretlint-rule-pattern options); not a built-in rule',
  },
  'secretlint-rule-no-homedir:HOMEDIR': { unmapped: 'a home-directory path is not a credential' },
};

/** Token types outside the built-in rule set. */
const OUT_OF_SCOPE_RULES: Record<string, string> = {
  'secretlint-rule-secp256k1-privatekey':
    'a bare 64-hex-digit secp256k1 key has no prefix to anchor on; reporting every 64-hex value would flood scans with hashes',
};

/**
 * Cases where Portcullis deliberately disagrees with secretlint. The test fails if one of these stops
 * diverging (stale entry) or if any other case diverges.
 */
const KNOWN_DIVERGENCES: Record<string, string> = {
  'secretlint-rule-gcp/ok.invalid-p12-no-mac':
    'a well-formed PKCS#12 file in an image is reported whatever its MAC: Portcullis does not decrypt key stores',
  'secretlint-rule-gcp/ok.invalid-p12-huge-iter':
    'a well-formed PKCS#12 file in an image is reported whatever its iteration count',
  'secretlint-rule-no-k8s-kind-secret/ng.kind-secret':
    'named ng (secretlint means to report it) but its snapshot records no message; Portcullis reports the password in the Secret manifest',
  'secretlint-rule-no-k8s-kind-secret/ng.kind-secret-multiple':
    'named ng (secretlint means to report it) but its snapshot records no message; Portcullis reports the password in the Secret manifest',
  'secretlint-rule-huggingface/ng.secret':
    'its token is `hf_` and a run of x: issue 16 makes placeholder runs (x, X, 0, 1, #, *) no finding',
  'secretlint-rule-slack/ng.IncomingWebhook':
    'line 1 is `TXXXXX/BXXXXX/XXXXXXXXXX`, a placeholder run (issue 16); the real URL on line 3 is reported',
  'secretlint-rule-gcp/ok.secure-privatekey-p12':
    'a password-protected PKCS#12 file is still a private key shipped in the image (the password usually travels with it)',
};

interface Expected {
  messageId: string;
  start: number;
  end: number;
}

interface SnapshotCase {
  key: string;
  rule: string;
  fileName: string;
  content: Buffer;
  expected: Expected[];
  /** Set when the expectation depends on a secretlint option Portcullis has no equivalent for. */
  optionDependent?: string;
}

function readCases(): SnapshotCase[] {
  const cases: SnapshotCase[] = [];
  for (const rule of readdirSync(SNAPSHOTS).sort()) {
    for (const name of readdirSync(join(SNAPSHOTS, rule)).sort()) {
      const dir = join(SNAPSHOTS, rule, name);
      const outputPath = join(dir, 'output.json');
      if (!existsSync(outputPath)) continue;
      const output = JSON.parse(readFileSync(outputPath, 'utf8')) as {
        filePath: string;
        messages: { messageId: string; loc: { start: { line: number }; end: { line: number } } }[];
        sourceContent?: string;
      };
      const fileName = basename(output.filePath);
      const onDisk = join(dir, fileName);
      const content = existsSync(onDisk)
        ? readFileSync(onDisk)
        : output.sourceContent !== undefined
          ? Buffer.from(output.sourceContent, 'utf8')
          : undefined;
      if (!content) throw new Error(`no input for ${rule}/${name}`);
      const c: SnapshotCase = {
        key: `${rule}/${name}`,
        rule,
        fileName,
        content,
        expected: output.messages.map((m) => ({
          messageId: `${rule}:${m.messageId}`,
          start: m.loc.start.line,
          end: m.loc.end.line,
        })),
      };
      const option = optionDependency(dir);
      if (option) c.optionDependent = option;
      cases.push(c);
    }
  }
  return cases;
}

function optionDependency(dir: string): string | undefined {
  const rc = join(dir, '.secretlintrc.json');
  if (!existsSync(rc)) return undefined;
  const config = JSON.parse(readFileSync(rc, 'utf8')) as { rules?: { options?: Record<string, unknown> }[] };
  for (const r of config.rules ?? []) {
    for (const [k, v] of Object.entries(r.options ?? {})) {
      if (k === 'enableIDScanRule' && v === true) continue;
      return `secretlint option ${k}=${JSON.stringify(v).slice(0, 60)}`;
    }
  }
  return undefined;
}

async function scan(c: SnapshotCase): Promise<Finding[]> {
  const path = `/app/${c.fileName}`;
  const file: ImageFile = {
    path,
    kind: 'file',
    mode: 0o644,
    size: c.content.length,
    uid: 0,
    gid: 0,
    layerDigest: 'sha256:snapshot',
    layerIndex: 0,
    content: c.content,
  };
  if (!secretAnalyzer.required(path, file)) return [];
  const result = await secretAnalyzer.analyze?.(file, {});
  return result?.findings ?? [];
}

function covers(f: Finding, e: Expected): boolean {
  const line = f.location.line;
  if (line === undefined) return true; // a path-rule finding covers the whole file
  const end = f.location.endLine ?? line;
  return line <= e.end && end >= e.start;
}

type Outcome =
  | { kind: 'pass' | 'fail'; detail: string; expectNone: boolean }
  | { kind: 'unmapped' | 'option' | 'out-of-scope'; detail: string };

async function evaluate(c: SnapshotCase): Promise<Outcome> {
  if (OUT_OF_SCOPE_RULES[c.rule])
    return { kind: 'out-of-scope', detail: OUT_OF_SCOPE_RULES[c.rule] as string };
  if (c.optionDependent) return { kind: 'option', detail: c.optionDependent };
  const findings = await scan(c);
  const got = findings.map((f) => `${f.id}@${f.location.line ?? '-'}`).join(', ') || 'none';
  if (c.expected.length === 0) {
    return {
      kind: findings.length === 0 ? 'pass' : 'fail',
      detail: `expected none, got ${got}`,
      expectNone: true,
    };
  }
  const mapped = c.expected.filter((e) => Array.isArray(MAPPING[e.messageId]));
  if (mapped.length === 0) {
    const m = MAPPING[c.expected[0]?.messageId ?? ''];
    return { kind: 'unmapped', detail: m && !Array.isArray(m) ? m.unmapped : 'unknown messageId' };
  }
  const missing = mapped.filter((e) => {
    const ids = MAPPING[e.messageId] as string[];
    return !findings.some((f) => ids.includes(f.id) && covers(f, e));
  });
  const detail = `expected ${mapped.map((e) => `${e.messageId}@${e.start}`).join(', ')}; got ${got}`;
  return { kind: missing.length === 0 ? 'pass' : 'fail', detail, expectNone: false };
}

describe('secret analyzer against secretlint snapshots (secretlint @ 18346ba3)', () => {
  const cases = readCases();

  it('knows every secretlint messageId (mapped or unmapped with a reason)', () => {
    const unknown = new Set(
      cases
        .filter((c) => !OUT_OF_SCOPE_RULES[c.rule])
        .flatMap((c) => c.expected.map((e) => e.messageId))
        .filter((id) => MAPPING[id] === undefined),
    );
    expect([...unknown]).toEqual([]);
  });

  it('reports every ng case on its expected lines and nothing for ok cases', async () => {
    const rows: { key: string; outcome: Outcome }[] = [];
    for (const c of cases) rows.push({ key: c.key, outcome: await evaluate(c) });

    const count = (pred: (o: Outcome) => boolean): number => rows.filter((r) => pred(r.outcome)).length;
    const isNg = (o: Outcome): boolean => (o.kind === 'pass' || o.kind === 'fail') && !o.expectNone;
    const isOk = (o: Outcome): boolean => (o.kind === 'pass' || o.kind === 'fail') && o.expectNone;
    const lines = [
      `secretlint snapshots: ${cases.length} cases`,
      `  ng (reporting) cases checked: ${count(isNg)}, passed: ${count((o) => isNg(o) && o.kind === 'pass')}`,
      `  ok (silent) cases checked:    ${count(isOk)}, passed: ${count((o) => isOk(o) && o.kind === 'pass')}`,
      `  known divergences:            ${Object.keys(KNOWN_DIVERGENCES).length}`,
    ];
    for (const kind of ['unmapped', 'option', 'out-of-scope'] as const) {
      const these = rows.filter((r) => r.outcome.kind === kind);
      lines.push(`  ${kind}: ${these.length}`);
      for (const r of these) lines.push(`    - ${r.key}: ${r.outcome.detail}`);
    }
    for (const [key, reason] of Object.entries(KNOWN_DIVERGENCES))
      lines.push(`  divergence ${key}: ${reason}`);
    const mappingRows = Object.entries(MAPPING).map(
      ([k, v]) => `    ${k} → ${Array.isArray(v) ? v.join(' | ') : `UNMAPPED (${v.unmapped})`}`,
    );
    console.log([...lines, '  mapping:', ...mappingRows].join('\n'));

    const failures = rows
      .filter((r) => r.outcome.kind === 'fail' && !KNOWN_DIVERGENCES[r.key])
      .map((r) => `${r.key}: ${r.outcome.detail}`);
    expect(failures).toEqual([]);
    const stale = Object.keys(KNOWN_DIVERGENCES).filter(
      (k) => rows.find((r) => r.key === k)?.outcome.kind !== 'fail',
    );
    expect(stale).toEqual([]);
    expect(count(isNg)).toBeGreaterThanOrEqual(60);
    expect(count(isOk)).toBeGreaterThanOrEqual(45);
  });
});
