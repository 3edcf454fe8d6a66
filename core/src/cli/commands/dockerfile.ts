import { Command } from 'commander';
import type { ScanResult } from '../../types/scan.js';
import { emitReports, toReportFormat, type CliIo } from '../io.js';
import { collect, readDockerfile, readPolicyFlag } from './common.js';
import { toExitCode } from './scan.js';

interface DockerfileFlags {
  policy?: string;
  format: string;
  output?: string;
  report: string[];
  buildArg: string[];
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
    .action(async (path: string, flags: DockerfileFlags) => {
      const format = toReportFormat(flags.format);
      const [{ analyzeDockerfile, buildInstructionAnalyzer }, { evaluatePolicy, resolvePolicy }] =
        await Promise.all([
          import('../../analyzers/buildinstruction/index.js'),
          import('../../policy/index.js'),
        ]);
      const policy = resolvePolicy(await readPolicyFlag(flags.policy, io.env));
      const buildArgs = Object.fromEntries(
        flags.buildArg.map((a) => {
          const i = a.indexOf('=');
          return i < 0 ? [a, ''] : [a.slice(0, i), a.slice(i + 1)];
        }),
      );
      const findings = analyzeDockerfile(await readDockerfile(path), path, { buildArgs });
      const result: ScanResult = {
        schemaVersion: 1,
        image: { ref: path, configDigest: '', layers: [] },
        packages: [],
        findings,
        notes: [],
        analyzers: { [buildInstructionAnalyzer.name]: buildInstructionAnalyzer.version },
        scannedAt: io.now().toISOString(),
        dockerfile: path,
      };
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
      });
      setCode(toExitCode(evaluation.verdict.decision));
    });
}
