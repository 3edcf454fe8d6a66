import { Command } from 'commander';
import { parseDuration } from '../../duration.js';
import { isPortcullisError } from '../../errors.js';
import { defaultDbPath, writeOutput, type CliIo } from '../io.js';
import { DEFAULT_UPDATE_ECOSYSTEMS } from '../../vulndb/ecosystems.js';
import { untilSignal } from '../signals.js';
import { collect } from './common.js';

function printSkipped(io: CliIo, skipped: { file: string; reason: string }[]): void {
  const shown = skipped.slice(0, 50);
  for (const s of shown) io.stderr.write(`skipped ${s.file}: ${s.reason}\n`);
  if (skipped.length > shown.length) io.stderr.write(`… and ${skipped.length - shown.length} more skipped\n`);
}

interface UpdateFlags {
  db?: string;
  mirror?: string;
  ecosystem: string[];
  full?: boolean;
  nvd?: boolean;
  nvdOnly?: boolean;
  nvdUrl?: string;
  every?: string;
}

export function createDbCommand(io: CliIo, setCode: (code: number) => void): Command {
  const db = new Command('db').description('the OSV vulnerability database');
  db.command('import')
    .description(
      'import OSV JSON records (and NVD API 2.0 CVE JSON, for severity by alias) from directories or osv.dev all.zip dumps (atomic)',
    )
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
      const cves = result.cves > 0 ? ` and ${result.cves} NVD CVE records` : '';
      io.stdout.write(
        `imported ${result.imported} records${cves} into ${path} (${result.skipped.length} skipped)\n`,
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
          `${s.records} records${s.nvdCves > 0 ? `, ${s.nvdCves} NVD CVE records` : ''}`,
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
    .option('--full', 'download every all.zip again (and, with --nvd, every NVD CVE)')
    .option(
      '--nvd',
      'also fetch CVE severities from the NVD CVE API 2.0 (incremental by lastModStartDate; API key from $NVD_API_KEY)',
    )
    .option('--nvd-only', 'fetch only from the NVD CVE API, not the OSV mirror')
    .option(
      '--nvd-url <url>',
      'NVD CVE API 2.0 endpoint (default https://services.nvd.nist.gov/rest/json/cves/2.0)',
    )
    .option(
      '--every <duration>',
      'keep running and update again every DURATION (e.g. 6h; a sidecar beside the webhook); a failed update keeps the previous DB',
    )
    .action(async (flags: UpdateFlags) => {
      const { updateDb, updateNvd, DEFAULT_MIRROR_BASE_URL } = await import('../../vulndb/index.js');
      const path = flags.db ?? defaultDbPath(io.env);
      const everyMs = flags.every === undefined ? undefined : parseDuration(flags.every, 'USAGE_INVALID');
      const runOnce = async (): Promise<void> => {
        if (flags.nvd || flags.nvdOnly) {
          const apiKey = io.env.NVD_API_KEY;
          const nvd = await updateNvd({
            dbPath: path,
            ...(flags.nvdUrl ? { apiUrl: flags.nvdUrl } : {}),
            ...(apiKey ? { apiKey } : {}),
            ...(flags.full ? { full: true } : {}),
            now: io.now,
          });
          io.stdout.write(
            `NVD: ${nvd.mode}${nvd.since ? ` since ${nvd.since}` : ''}, ${nvd.cves} CVE records in ${nvd.requests} requests\n`,
          );
          if (flags.nvdOnly) return;
        }
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
      };
      if (everyMs === undefined) {
        await runOnce();
        setCode(0);
        return;
      }
      const stop = untilStopped();
      for (;;) {
        try {
          await runOnce();
        } catch (err) {
          const code = isPortcullisError(err) ? err.code : 'INTERNAL';
          io.stderr.write(
            `portcullis: ${code}: ${(err as Error).message} (keeping the previous DB; next try in ${flags.every})\n`,
          );
        }
        if (await stop.within(everyMs)) break;
      }
      setCode(0);
    });
  return db;
}

/** SIGTERM/SIGINT end a repeating update between two runs (a pod being stopped). */
function untilStopped(): { within(ms: number): Promise<boolean> } {
  let stopped = false;
  let wake: (() => void) | undefined;
  void untilSignal().then(() => {
    stopped = true;
    wake?.();
  });
  return {
    /** Waits `ms`; true when a signal came first (or already had). */
    within: (ms) =>
      new Promise<boolean>((resolve) => {
        if (stopped) return resolve(true);
        const timer = setTimeout(() => resolve(false), ms);
        wake = () => {
          clearTimeout(timer);
          resolve(true);
        };
      }),
  };
}
