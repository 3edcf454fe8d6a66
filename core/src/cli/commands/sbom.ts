import { Command } from 'commander';
import { PortcullisError } from '../../errors.js';
import { createProgress, renderOptions, writeOutput, type CliIo } from '../io.js';
import { addSourceOptions, toSourceOptions, type SourceFlags } from './common.js';

interface SbomFlags extends SourceFlags {
  format: string;
  output?: string;
  progress: boolean;
}

export function createSbomCommand(io: CliIo, setCode: (code: number) => void): Command {
  const cmd = new Command('sbom')
    .description('inventory every package in an image (CycloneDX 1.6 with layers and purls, or JSON)')
    .argument(
      '<image>',
      'docker-archive:PATH, oci-archive:PATH, oci:DIR[:TAG], registry:REF, a path or a reference',
    )
    .option('--format <format>', 'cyclonedx|json', 'cyclonedx')
    .option('--output <file>', 'write here instead of stdout')
    .option('--no-progress', 'no progress indicator on a TTY');
  addSourceOptions(cmd);
  cmd.action(async (image: string, flags: SbomFlags) => {
    if (flags.format !== 'cyclonedx' && flags.format !== 'json') {
      throw new PortcullisError(
        'USAGE_INVALID',
        `sbom --format takes cyclonedx or json, got "${flags.format}"`,
      );
    }
    // the scan and report modules load only when a command runs (`--help` and `--version` stay instant)
    const [{ scan }, { renderSbom }] = await Promise.all([
      import('../../scan/index.js'),
      import('../../report/index.js'),
    ]);
    const progress = createProgress(io, flags.progress);
    const result = await scan(image, {
      scanners: [],
      source: await toSourceOptions(flags, io.env),
      onLayerProgress: progress.layer,
      now: io.now,
    });
    progress.done();
    let text: string;
    if (flags.format === 'json') {
      text = JSON.stringify(
        { schemaVersion: 1, image: result.image, packages: result.packages, notes: result.notes },
        null,
        2,
      );
    } else {
      // an SBOM is the inventory alone: no policy is evaluated, so it claims no verdict
      text = renderSbom(result, renderOptions(io, 'cyclonedx', true));
    }
    await writeOutput(io, text, flags.output);
    setCode(0);
  });
  return cmd;
}
