import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';

/** The CLI's I/O (structurally core's `CliIo`; the service may import core only through its public entry). */
export interface ServiceCliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
  now: () => Date;
}

interface ServeFlags {
  host?: string;
  port?: string;
  tlsCert?: string;
  tlsKey?: string;
  policy?: string;
  db?: string;
  store?: string;
  queue?: string;
  tokens?: string;
  concurrency?: string;
  kubeconfig?: string;
}

/** `portcullis serve` and `portcullis serve manifests`, wired into the CLI by its composition root (bin/main.ts). */
export function createServeCommand(io: ServiceCliIo, setCode: (code: number) => void): Command {
  const serve = new Command('serve')
    .description(
      'scan service: HTTPS API over registry-scan tasks and stored results (embedded default without flags)',
    )
    .option('--host <addr>', 'listen address (default 0.0.0.0)')
    .option('--port <port>', 'HTTPS port (default 8444)')
    .option('--tls-cert <file>', 'serving certificate (PEM)')
    .option('--tls-key <file>', 'serving key (PEM)')
    .option('--policy <file>', 'policy file (registries:, scan:)')
    .option('--db <file>', 'vulnerability DB')
    .option(
      '--store <spec>',
      'sqlite[:PATH] | redis://HOST:PORT (default: the SQLite file registry scans use)',
    )
    .option('--queue <url>', 'redis://HOST:PORT: BullMQ job queue shared by replicas (default: in-process)')
    .option(
      '--concurrency <n>',
      'with --queue: images this replica scans at once per registry (0: API only; default: its concurrency)',
    )
    .option(
      '--kubeconfig <file>',
      'Kubernetes access for runtime scans (default in a pod: its service account)',
    )
    .option('--tokens <file>', 'API tokens (YAML tokens: [{name, role: read|admin, sha256}])')
    .action(async (flags: ServeFlags) => {
      const { startScanService } = await import('./service.js');
      const { PortcullisError, untilSignal } = await import('../../core/src/index.js');
      const concurrency = flags.concurrency === undefined ? undefined : Number(flags.concurrency);
      if (concurrency !== undefined && (!Number.isInteger(concurrency) || concurrency < 0))
        throw new PortcullisError(
          'USAGE_INVALID',
          `--concurrency must be an integer ≥ 0, got ${flags.concurrency}`,
        );
      if (flags.queue && !/^rediss?:\/\//.test(flags.queue))
        throw new PortcullisError('USAGE_INVALID', `--queue must be redis://HOST:PORT, got ${flags.queue}`);
      const port = flags.port === undefined ? 8444 : Number(flags.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535)
        throw new PortcullisError('USAGE_INVALID', `--port must be 0-65535, got ${flags.port}`);
      const service = await startScanService({
        env: io.env,
        port,
        ...(flags.host ? { host: flags.host } : {}),
        ...(flags.policy ? { policyFile: flags.policy } : {}),
        ...(flags.db ? { dbFile: flags.db } : {}),
        ...(flags.store ? { store: flags.store } : {}),
        ...(flags.tokens ? { tokensFile: flags.tokens } : {}),
        ...(flags.queue ? { queue: flags.queue } : {}),
        ...(flags.kubeconfig ? { kubeconfig: flags.kubeconfig } : {}),
        ...(concurrency !== undefined ? { concurrency } : {}),
        ...(flags.tlsCert ? { tlsCert: flags.tlsCert } : {}),
        ...(flags.tlsKey ? { tlsKey: flags.tlsKey } : {}),
        notice: (line) => io.stderr.write(`portcullis: ${line}\n`),
      });
      let tmp: string | undefined;
      if (service.generatedToken) {
        // never printed: written to a file only its owner can read, whose path is printed
        tmp = await mkdtemp(join(tmpdir(), 'portcullis-serve-'));
        await writeFile(join(tmp, 'admin-token'), `${service.generatedToken}\n`, { mode: 0o600 });
        io.stderr.write(
          `portcullis: no --tokens: an admin token for this run is in ${join(tmp, 'admin-token')}\n`,
        );
      }
      io.stderr.write(
        `portcullis: scan service listening on https://${flags.host ?? '0.0.0.0'}:${service.port}/api/v1 (store ${service.stores.spec.kind}${flags.queue ? ', queue redis' : ''})\n`,
      );
      const sig = await untilSignal();
      io.stderr.write(`portcullis: ${sig}: shutting down\n`);
      await service.close();
      if (tmp) await rm(tmp, { recursive: true, force: true });
      setCode(0);
    });
  serve
    .command('manifests')
    .description('print the Kubernetes objects that run the scan service (pipe to `kubectl apply -f -`)')
    .option('--namespace <ns>', 'namespace (default portcullis)')
    .option('--replicas <n>', 'service replicas (default 2)')
    .option('--image <ref>', 'Portcullis container image')
    .option('--redis', 'add a Redis Deployment + Service; the replicas share it as store and BullMQ queue')
    .option('--tokens <file>', 'tokens file (digests only) to put in the Secret')
    .option('--policy <file>', 'policy file to put in the ConfigMap')
    .option(
      '--tls-secret <name>',
      'kubernetes.io/tls Secret (tls.crt, tls.key) mounted for --tls-cert/--tls-key (default portcullis-serve-tls)',
    )
    .option('--no-tls-secret', 'mount no TLS Secret: the service serves a temporary self-signed certificate')
    .action(
      async (flags: {
        namespace?: string;
        replicas?: string;
        image?: string;
        redis?: boolean;
        tokens?: string;
        policy?: string;
        /** commander: the name, or false for --no-tls-secret (absent: the default Secret) */
        tlsSecret?: string | boolean;
      }) => {
        const [
          { loadPolicy, PortcullisError },
          { renderServiceManifests },
          { parseTokensFile },
          { readFile },
        ] = await Promise.all([
          import('../../core/src/index.js'),
          import('./manifests.js'),
          import('./tokens.js'),
          import('node:fs/promises'),
        ]);
        const replicas = flags.replicas === undefined ? undefined : Number(flags.replicas);
        if (replicas !== undefined && (!Number.isInteger(replicas) || replicas < 1))
          throw new PortcullisError(
            'USAGE_INVALID',
            `--replicas must be an integer ≥ 1, got ${flags.replicas}`,
          );
        if (replicas !== undefined && replicas > 1 && !flags.redis)
          io.stderr.write('portcullis: several replicas without --redis each keep their own SQLite store\n');
        const tokensYaml = flags.tokens ? await readFile(flags.tokens, 'utf8') : undefined;
        if (tokensYaml !== undefined) parseTokensFile(tokensYaml, flags.tokens); // validate before printing
        const policyYaml = flags.policy ? await readFile(flags.policy, 'utf8') : undefined;
        if (flags.policy) await loadPolicy(flags.policy);
        const yaml = renderServiceManifests({
          ...(flags.namespace ? { namespace: flags.namespace } : {}),
          ...(replicas !== undefined ? { replicas } : {}),
          ...(flags.image ? { image: flags.image } : {}),
          ...(flags.redis ? { redis: true } : {}),
          ...(tokensYaml !== undefined ? { tokensYaml } : {}),
          ...(policyYaml !== undefined ? { policyYaml } : {}),
          ...(typeof flags.tlsSecret === 'string' ? { tlsSecret: flags.tlsSecret } : {}),
          ...(flags.tlsSecret === false ? { tlsSecret: false as const } : {}),
        });
        io.stdout.write(yaml.endsWith('\n') ? yaml : `${yaml}\n`);
        setCode(0);
      },
    );
  return serve;
}

/** `portcullis affected <ID|CVE>`: the stored images and repositories that have a vulnerability, from the store. */
export function createAffectedCommand(io: ServiceCliIo, setCode: (code: number) => void): Command {
  return new Command('affected')
    .description(
      'images and repositories in the store with a vulnerability (id or alias), with fixed versions',
    )
    .argument('<id>', 'vulnerability id or alias (CVE-…, GHSA-…, DSA-…)')
    .option('--json', 'print JSON')
    .option('--policy <file>', 'policy whose registries: name the images’ registries')
    .option(
      '--store <spec>',
      'sqlite[:PATH] | redis://HOST:PORT (default: the SQLite file registry scans use)',
    )
    .action(async (id: string, flags: { json?: boolean; policy?: string; store?: string }) => {
      const [{ DEFAULT_POLICY, loadPolicy, openScanStores }, { readAffected }] = await Promise.all([
        import('../../core/src/index.js'),
        import('./affected.js'),
      ]);
      const policy = flags.policy ? await loadPolicy(flags.policy) : DEFAULT_POLICY;
      const stores = openScanStores(flags.store, io.env);
      let report;
      try {
        report = await readAffected(stores.verdicts, id, policy);
      } finally {
        await stores.close();
      }
      if (flags.json) io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      else if (report.images.length === 0) io.stdout.write(`${id}: no stored image has it\n`);
      else {
        const lines = report.images.flatMap((i) =>
          i.packages.map((p) => `${i.reference}  ${p.name} ${p.version} → ${p.fixedVersion ?? 'no fix yet'}`),
        );
        io.stdout.write(
          `${id}: ${report.images.length} image(s) in ${report.repositories.length} repositories\n${lines.join('\n')}\n`,
        );
      }
      setCode(0);
    });
}
