import { readFile } from 'node:fs/promises';
import { basename, isAbsolute, relative, sep } from 'node:path';
import { Command } from 'commander';
import { PortcullisError } from '../../errors.js';
import type { Severity } from '../../types/finding.js';
import type { Decision } from '../../types/scan.js';
import {
  createProgress,
  defaultDbPath,
  emitReports,
  toReportFormat,
  writeOutput,
  type CliIo,
} from '../io.js';
import {
  addSourceOptions,
  collect,
  parseScanners,
  readPolicyFlag,
  toSourceOptions,
  type SourceFlags,
} from './common.js';
import { addPushOptions, pushWithCredential, readPushCredential, type PushFlags } from './push.js';

/** Reports locate things repository-relative (Code Quality refuses absolute paths). */
function toRepoPath(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel.startsWith('..') || isAbsolute(rel) ? basename(file) : rel.split(sep).join('/');
}

/** Exit code for a decision: the public contract (0 allow/warn, 1 deny). */
export function toExitCode(decision: Decision): number {
  return decision === 'deny' ? 1 : 0;
}

interface ScanFlags extends SourceFlags, PushFlags {
  db?: string;
  policy?: string;
  format: string;
  output?: string;
  report: string[];
  dockerfile?: string;
  scanners?: string;
  ignoreUnfixed?: boolean;
  severity?: Severity;
  progress: boolean;
  verdictOutput?: string;
  push?: string;
}

export function createScanCommand(io: CliIo, setCode: (code: number) => void): Command {
  const cmd = new Command('scan')
    .description(
      'scan an image: inventory, vulnerabilities, secrets, malware, baseline and build-instruction risks',
    )
    .argument(
      '<image>',
      'docker-archive:PATH, oci-archive:PATH, oci:DIR[:TAG], registry:REF, a path or a reference',
    )
    .option('--db <file>', 'vulnerability DB (default $PORTCULLIS_DB or ~/.cache/portcullis/db.sqlite)')
    .option('--policy <file>', 'policy file (default $PORTCULLIS_POLICY or the embedded default)')
    .option('--format <format>', 'table|json|sarif|gitlab|codequality|cyclonedx|markdown', 'table')
    .option('--output <file>', 'write the report here instead of stdout')
    .option('--report <format=file>', 'also write this format to this file (repeatable)', collect, [])
    .option('--dockerfile <file>', 'also check this Dockerfile for risky build instructions')
    .option(
      '--scanners <list>',
      'vuln,secret,malware,baseline,buildinstruction (default: as the policy enables)',
    )
    .option('--ignore-unfixed', 'leave out vulnerabilities without a fixed version')
    .option(
      '--severity <level>',
      'report only findings at or above this severity (does not change the verdict)',
    )
    .option(
      '--sign-key <file>',
      'Ed25519/ES256 private key (PEM or JWK) that signs the verdict (--verdict-output) and the pushed scan (--push)',
    )
    .option('--verdict-output <file>', 'write the (signed, with --sign-key) verdict here')
    .option(
      '--push <url>',
      'send the signed scan result to the admission webhook (https://HOST:PORT); exit 2 if it is refused',
    )
    .option('--no-progress', 'no progress indicator on a TTY');
  addPushOptions(cmd);
  addSourceOptions(cmd);
  cmd.action(async (image: string, flags: ScanFlags) => {
    const format = toReportFormat(flags.format);
    if (flags.push === undefined && (flags.oidcTokenEnv !== undefined || flags.pushCaCert !== undefined))
      throw new PortcullisError('USAGE_INVALID', '--oidc-token-env and --push-ca-cert need --push URL');
    // the credential is read before the scan: a push that cannot happen fails in a second, not after the scan
    const pushCredential = flags.push !== undefined ? await readPushCredential(io, flags) : undefined;
    const [{ evaluatePolicy, resolvePolicy, toAnalyzerOptions, toEnabledScanners }, { scan }] =
      await Promise.all([import('../../policy/index.js'), import('../../scan/index.js')]);
    const policy = resolvePolicy(await readPolicyFlag(flags.policy, io.env));
    const scanners = flags.scanners
      ? parseScanners(flags.scanners)
      : toEnabledScanners(policy).filter((s) => s !== 'inventory');
    const progress = createProgress(io, flags.progress);
    const result = await scan(image, {
      scanners,
      dbPath: flags.db ?? defaultDbPath(io.env),
      ...(flags.ignoreUnfixed ? { ignoreUnfixed: true } : {}),
      source: await toSourceOptions(flags, io.env),
      analyzerOptions: toAnalyzerOptions(policy),
      analyzerSettings: { malware: { hashDbFiles: policy.scanners.malware.hashDbFiles ?? [] } },
      onLayerProgress: progress.layer,
      now: io.now,
    });
    progress.done();
    if (flags.dockerfile) {
      const text = await readFile(flags.dockerfile, 'utf8');
      const { analyzeDockerfile } = await import('../../analyzers/buildinstruction/index.js');
      result.findings.push(...analyzeDockerfile(text, flags.dockerfile));
      result.dockerfile = flags.dockerfile;
    }
    const evaluation = evaluatePolicy(result, policy, { now: io.now() });
    await emitReports(io, result, evaluation, {
      format,
      ...(flags.output ? { output: flags.output } : {}),
      reports: flags.report,
      extra: {
        ...(flags.severity ? { severity: flags.severity } : {}),
        ...(flags.policy ? { policyPath: toRepoPath(flags.policy) } : {}),
      },
    });
    if (flags.verdictOutput) {
      const { readKeyFile, signVerdict } = await import('../../verdict/index.js');
      const body = flags.signKey
        ? await signVerdict(evaluation.verdict, await readKeyFile(flags.signKey))
        : JSON.stringify(evaluation.verdict, null, 2);
      await writeOutput(io, body, flags.verdictOutput);
    }
    // after the reports are written: a refused push still leaves them for the CI job to upload
    if (flags.push !== undefined && pushCredential)
      await pushWithCredential(io, result, flags.push, pushCredential);
    setCode(toExitCode(evaluation.verdict.decision));
  });
  return cmd;
}
