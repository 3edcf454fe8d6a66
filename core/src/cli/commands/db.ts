import { Command } from 'commander';
import { defaultDbPath, writeOutput, type CliIo } from '../io.js';
import { collect } from './common.js';

export const DEFAULT_UPDATE_ECOSYSTEMS = [
  'Alpine',
  'Debian',
  'Ubuntu',
  'Go',
  'PyPI',
  'npm',
  'crates.io',
  'Maven',
  'RubyGems',
  'Packagist',
];

function printSkipped(io: CliIo, skipped: { file: string; reason: string }[]): void {
  const shown = skipped.slice(0, 50);
  for (const s of shown) io.stderr.write(`skipped ${s.file}: ${s.reason}\n`);
  if (skipped.length > shown.length) io.stderr.write(`… and ${skipped.length - shown.length} more skipped\n`);
}

export function createDbCommand(io: CliIo, setCode: (code: number) => void): Command {
  const db = new Command('db').description('the OSV vulnerability database');
  db.command('import')
    .description('import OSV JSON records from directories or osv.dev all.zip dumps (atomic)')
    .argument('<inputs...>', 'directories of *.json and/or all.zip files')
    .option('--db <file>', 'DB file (default $PORTCULLIS_DB or ~/.cache/portcullis/db.sqlite)')
    .option(
      '--ecosystem <name>',
      'keep only these ecosystems (repeatable; bare Debian keeps every release)',
      collect,
      [],
    )
    .action(async (inputs: string[], flags: { db?: string; ecosystem: string[] }) => {
      // the DB modules (better-sqlite3, undici) load only when a db command runs
      const { importOsv } = await import('../../vulndb/index.js');
      const path = flags.db ?? defaultDbPath(io.env);
      const result = importOsv(path, inputs, {
        now: io.now,
        ...(flags.ecosystem.length ? { ecosystems: flags.ecosystem } : {}),
      });
      printSkipped(io, result.skipped);
      io.stdout.write(
        `imported ${result.imported} records into ${path} (${result.skipped.length} skipped)\n`,
      );
      setCode(0);
    });
  db.command('status')
    .description('records per ecosystem, sources and build time')
    .option('--db <file>', 'DB file (default $PORTCULLIS_DB or ~/.cache/portcullis/db.sqlite)')
    .option('--json', 'print JSON')
    .action(async (flags: { db?: string; json?: boolean }) => {
      const { dbStatus } = await import('../../vulndb/index.js');
      const s = dbStatus(flags.db ?? defaultDbPath(io.env));
      if (flags.json) {
        await writeOutput(io, JSON.stringify(s, null, 2));
      } else {
        const lines = [
          `DB ${s.path} (schema ${s.schemaVersion})`,
          `built at ${s.builtAt}`,
          `${s.records} records`,
          ...Object.entries(s.byEcosystem).map(([eco, n]) => `  ${eco.padEnd(24)} ${n}`),
          'sources:',
          ...s.sources.map((src) => `  ${src.source} (${src.records} records, ${src.importedAt})`),
        ];
        await writeOutput(io, lines.join('\n'));
      }
      setCode(0);
    });
  db.command('update')
    .description(
      'download OSV dumps (all.zip, then modified_id.csv increments) from a mirror of the osv.dev bucket',
    )
    .option('--db <file>', 'DB file (default $PORTCULLIS_DB or ~/.cache/portcullis/db.sqlite)')
    .option(
      '--mirror <url>',
      'mirror base URL (default the osv.dev bucket, https://storage.googleapis.com/osv-vulnerabilities)',
    )
    .option(
      '--ecosystem <name>',
      `ecosystems to keep (repeatable; default ${DEFAULT_UPDATE_ECOSYSTEMS.join(', ')})`,
      collect,
      [],
    )
    .option('--full', 'download every all.zip again')
    .action(async (flags: { db?: string; mirror?: string; ecosystem: string[]; full?: boolean }) => {
      const { updateDb, DEFAULT_MIRROR_BASE_URL } = await import('../../vulndb/index.js');
      const path = flags.db ?? defaultDbPath(io.env);
      const result = await updateDb({
        dbPath: path,
        ecosystems: flags.ecosystem.length ? flags.ecosystem : DEFAULT_UPDATE_ECOSYSTEMS,
        mirrorBaseUrl: flags.mirror ?? DEFAULT_MIRROR_BASE_URL,
        ...(flags.full ? { full: true } : {}),
        now: io.now,
      });
      printSkipped(io, result.skipped);
      for (const [dir, d] of Object.entries(result.directories)) {
        io.stdout.write(
          `${dir}: ${d.mode}, ${d.downloaded} downloaded${d.newest ? `, newest ${d.newest}` : ''}\n`,
        );
      }
      io.stdout.write(`imported ${result.imported} records into ${path}\n`);
      setCode(0);
    });
  return db;
}
