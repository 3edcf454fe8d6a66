import { readFile } from 'node:fs/promises';
import { Command } from 'commander';
import { parseChoice } from '../../choices.js';
import type { Policy } from '../../policy/index.js';
import { writeOutput, type CliIo } from '../io.js';

const IMPORT_KINDS = ['trivyignore', 'trivyignore-yaml', 'gitlab'] as const;

/** What `policy check` says about the registry-scan sections, one line each. */
function describeRegistryScan(policy: Policy): string[] {
  const lines = (policy.registries ?? []).map((r) => {
    const parts = [
      r.kind,
      r.url,
      r.throttle ? `${r.throttle.imagesPerHour} images/hour` : 'no throttle',
      r.autoAddNew === false ? 'auto-add off' : 'auto-add on',
      ...(r.tags?.latest !== undefined ? [`latest ${r.tags.latest} tags`] : []),
    ];
    return `registry ${r.name}: ${parts.join(', ')}`;
  });
  const s = policy.scan;
  if (s) {
    const parts = [
      `time range ${s.timeRange ?? 'none'}`,
      `timeout ${s.timeout ?? 'none'}`,
      `keep tasks ${s.retention?.tasks ?? 'forever'}`,
      `keep results ${s.retention?.vulnerabilities ?? 'forever'}`,
    ];
    lines.push(`registry scan: ${parts.join(', ')}`);
  }
  return lines;
}

export function createPolicyCommand(io: CliIo, setCode: (code: number) => void): Command {
  const policy = new Command('policy').description('the policy file (portcullis.yaml)');
  policy
    .command('check')
    .description('validate a policy file (every problem with its path) and list exceptions that expire soon')
    .argument('<file>')
    .action(async (file: string) => {
      const [{ loadPolicy, policyCheck }, { assertPolicyNames }] = await Promise.all([
        import('../../policy/index.js'),
        import('../../scan/policy-names.js'),
      ]);
      const loaded = await loadPolicy(file);
      assertPolicyNames(loaded, file);
      const result = policyCheck(loaded, io.now());
      const lines = [
        `${file}: valid (policy digest ${result.policyDigest}, ${result.exceptionCount} exceptions)`,
        ...describeRegistryScan(loaded),
      ];
      for (const e of result.expired) lines.push(`expired: ${e.message}`);
      for (const e of result.expiring) lines.push(`expiring: ${e.message}`);
      for (const w of result.warnings) lines.push(`warning: ${w}`);
      await writeOutput(io, lines.join('\n'));
      setCode(0);
    });
  policy
    .command('import')
    .description(
      'convert .trivyignore(.yaml) or GitLab vulnerability-allowlist.yml into Portcullis exceptions',
    )
    .argument('<file>')
    .option(
      '--from <kind>',
      'trivyignore|trivyignore-yaml|gitlab (default: from the file name)',
      (v: string) => parseChoice(v, IMPORT_KINDS, '--from'),
    )
    .option('--output <file>', 'write here instead of stdout')
    .action(async (file: string, flags: { from?: string; output?: string }) => {
      const [{ importGitlabAllowlist, importTrivyIgnore }, { stringify }] = await Promise.all([
        import('../../policy/index.js'),
        import('yaml'),
      ]);
      const text = await readFile(file, 'utf8');
      const kind =
        flags.from ??
        (/allowlist/i.test(file) ? 'gitlab' : /\.ya?ml$/i.test(file) ? 'trivyignore-yaml' : 'trivyignore');
      const result =
        kind === 'gitlab'
          ? importGitlabAllowlist(text)
          : importTrivyIgnore(text, { format: kind === 'trivyignore-yaml' ? 'yaml' : 'lines' });
      // a whole policy document, so `policy check` (and every command) accepts the file as written
      await writeOutput(
        io,
        stringify({ apiVersion: 'portcullis/v1', exceptions: result.exceptions }),
        flags.output,
      );
      for (const w of result.warnings) io.stderr.write(`warning: ${w}\n`);
      setCode(0);
    });
  return policy;
}
