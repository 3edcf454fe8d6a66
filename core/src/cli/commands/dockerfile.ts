import { Command } from 'commander';
import type { ScanResult } from '../../types/scan.js';
import { emitReports, toReportFormat, type CliIo } from '../io.js';
import { collect, readDockerfile, readPolicyFlag } from './common.js';
import { toExitCode, toRepoPath } from './scan.js';

interface DockerfileFlags {
  policy?: string;
  format: string;
  output?: string;
  report: string[];
  buildArg: string[];
  sourceRoot?: string;
}

export function createDockerfileCommand(io: CliIo, setCode: (code: number) => void): Command {
  return new Command('dockerfile')
    .description('check a Dockerfile for risky build instructions')
    .argument('<Dockerfile>', 'path to the Dockerfile')
    .option('--policy <file>', 'policy file (default $PORTCULLIS_POLICY or the embedded default)')
    .option('--format <format>', 'table|json|sarif|gitlab|codequality|cyclonedx|markdown', 'table')
    .option('--output <file>', 'write the report here instead of stdout')
    .option('--report <format=file>', 'also write this format to this file (repeatable)', collect, [])
    .option('--build-arg <name=value>', 'ARG value used while expanding (repeatable)', collect, [])
    .option(
      '--source-root <dir>',
      'reports name the Dockerfile relative to this directory (default: the working directory)',
    )
    .action(async (path: string, flags: DockerfileFlags) => {
      const format = toReportFormat(flags.format);
      const [
        { analyzeDockerfile, buildInstructionAnalyzer },
        { evaluatePolicy, resolvePolicy },
        { redactScanResult },
      ] = await Promise.all([
        import('../../analyzers/buildinstruction/index.js'),
        import('../../policy/index.js'),
        import('../../scan/redact.js'),
      ]);
      const policy = resolvePolicy(await readPolicyFlag(flags.policy, io.env));
      const buildArgs = Object.fromEntries(
        flags.buildArg.map((a) => {
          const i = a.indexOf('=');
          return i < 0 ? [a, ''] : [a.slice(0, i), a.slice(i + 1)];
        }),
      );
      const repoPath = toRepoPath(path, flags.sourceRoot);
      const findings = analyzeDockerfile(await readDockerfile(path), repoPath, { buildArgs });
      const result: ScanResult = redactScanResult({
        schemaVersion: 1,
        image: { ref: repoPath, configDigest: '', layers: [] },
        packages: [],
        findings,
        notes: [],
        analyzers: { [buildInstructionAnalyzer.name]: buildInstructionAnalyzer.version },
        scannedAt: io.now().toISOString(),
        dockerfile: repoPath,
      });
      // a Dockerfile has no installed packages: no vulnerability DB is needed to judge it
      const evaluation = evaluatePolicy(
        result,
        { ...policy, scanners: { ...policy.scanners, vuln: false } },
        { now: io.now() },
      );
      await emitReports(io, result, evaluation, {
        format,
        ...(flags.output ? { output: flags.output } : {}),
        reports: flags.report,
        ...(flags.policy ? { extra: { policyPath: toRepoPath(flags.policy, flags.sourceRoot) } } : {}),
      });
      setCode(toExitCode(evaluation.verdict.decision));
    });
}
