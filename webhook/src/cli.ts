import { rmSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { ADMISSION_MODES, UNKNOWN_IMAGE_MODES } from './modes.js';

/** The CLI's I/O (structurally core's `CliIo`; webhook may import core only through its public entry). */
export interface WebhookCliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
  now: () => Date;
}

interface ServeFlags {
  config?: string;
  host?: string;
  port?: string;
  tlsCert?: string;
  tlsKey?: string;
  policy?: string;
  db?: string;
  store?: string;
  mode?: string;
  unknown?: string;
}

interface ManifestFlags {
  namespace?: string;
  replicas?: string;
  image?: string;
  redis?: string;
  certManager?: boolean;
  policy?: string;
  mode?: string;
  unknown?: string;
  failurePolicy?: string;
  timeout?: string;
  dbMirror?: string;
  dbRefresh?: string;
}

/** `portcullis webhook serve|manifests`, wired into the CLI by its composition root (bin/main.ts). */
export function createWebhookCommand(io: WebhookCliIo, setCode: (code: number) => void): Command {
  const webhook = new Command('webhook').description('Kubernetes validating admission webhook');

  webhook
    .command('serve')
    .description(
      'serve POST /validate (AdmissionReview v1) over HTTPS; embedded default config without flags',
    )
    .option('--config <file>', 'webhook config (YAML/JSON); flags override it')
    .option('--host <addr>', 'listen address (default 0.0.0.0)')
    .option('--port <port>', 'HTTPS port (default 8443)')
    .option('--tls-cert <file>', 'serving certificate (PEM); re-read when it changes')
    .option('--tls-key <file>', 'serving key (PEM)')
    .option('--policy <file>', 'policy file (reloaded when it changes)')
    .option('--db <file>', 'vulnerability DB used by background scans')
    .option(
      '--store <spec>',
      'memory | sqlite[:PATH] | redis://HOST:PORT (default: the SQLite file registry scan writes)',
    )
    .option('--mode <mode>', ADMISSION_MODES.join('|'))
    .option('--unknown <mode>', UNKNOWN_IMAGE_MODES.join('|'))
    .action(async (flags: ServeFlags) => {
      // the server, core and the stores load only when the command runs (`--help` stays instant)
      const [
        core,
        { generateServingCert },
        { parseWebhookConfig },
        { startWebhookServer },
        { createDbProbe, describeDbProbe },
        { toServeStoreSpec, prepareStore, describeStore },
      ] = await Promise.all([
        import('../../core/src/index.js'),
        import('./certs.js'),
        import('./config.js'),
        import('./server.js'),
        import('./db-probe.js'),
        import('./serve-store.js'),
      ]);
      const {
        scan,
        toAnalyzerOptions,
        loadPolicy,
        resolvePolicy,
        DEFAULT_POLICY,
        defaultDbPath,
        defaultStorePath,
        untilSignal,
      } = core;
      const text = flags.config ? await readFile(flags.config, 'utf8') : null;
      let tmp: string | undefined;
      // the temporary TLS key is removed on every way out: a failed start, a signal, an error, process exit
      const removeTmp = (): void => {
        if (tmp) rmSync(tmp, { recursive: true, force: true });
      };
      process.once('exit', removeTmp);
      try {
        let tls =
          flags.tlsCert && flags.tlsKey ? { certFile: flags.tlsCert, keyFile: flags.tlsKey } : undefined;
        const base = parseWebhookConfig(text);
        if (!tls && !(base.tls.certFile && base.tls.keyFile)) {
          // HTTPS only: without a certificate, serve a throw-away self-signed one and say so
          tmp = await mkdtemp(join(tmpdir(), 'portcullis-webhook-'));
          const cert = await generateServingCert({ service: base.serviceName, namespace: base.namespace });
          await writeFile(join(tmp, 'tls.crt'), `${cert.cert.trimEnd()}\n${cert.caCert.trimEnd()}\n`, {
            mode: 0o600,
          });
          await writeFile(join(tmp, 'tls.key'), cert.key, { mode: 0o600 });
          tls = { certFile: join(tmp, 'tls.crt'), keyFile: join(tmp, 'tls.key') };
          io.stderr.write(
            'portcullis: no --tls-cert/--tls-key: serving a temporary self-signed certificate\n',
          );
        }
        // without --store or a config `store:`, the SQLite file `registry scan` writes (not memory)
        const storePath = defaultStorePath(io.env);
        const storeSpec = toServeStoreSpec(flags.store, text, storePath);
        const config = parseWebhookConfig(text, {
          ...(flags.host ? { host: flags.host } : {}),
          ...(flags.port ? { port: Number(flags.port) } : {}),
          ...(tls ? { tls } : {}),
          ...(flags.policy ? { policyFile: flags.policy } : {}),
          ...(flags.db ? { dbFile: flags.db } : {}),
          ...(storeSpec ? { store: storeSpec } : {}),
          ...(flags.mode ? { mode: flags.mode } : {}),
          ...(flags.unknown ? { unknown: flags.unknown } : {}),
        });
        const policy = resolvePolicy(
          config.policyFile ? await loadPolicy(config.policyFile) : DEFAULT_POLICY,
        );
        // the CLI's DB: `portcullis db update` on the same machine (or the manifests' init container) feeds it
        const dbPath = config.dbFile ?? defaultDbPath(io.env);
        const dbProbe = createDbProbe(dbPath);
        io.stderr.write(`portcullis: ${describeDbProbe(dbProbe())}\n`);
        prepareStore(config.store);
        io.stderr.write(`portcullis: ${describeStore(config.store, storePath)}\n`);
        const server = await startWebhookServer(config, {
          dbProbe,
          // background scans use core's scan with the policy's scanners; the current policy judges at admission
          scanImage: (ref, digest) => {
            const at = ref.includes('@') ? ref : `${ref.replace(/:[^/:]+$/, '')}@${digest}`;
            return scan(`registry:${at}`, {
              dbPath,
              analyzerOptions: toAnalyzerOptions(policy),
              source: { env: io.env, insecureRegistries: config.insecureRegistries },
            });
          },
        });
        io.stderr.write(`portcullis: webhook listening on https://${config.host}:${server.port}/validate\n`);
        const sig = await untilSignal();
        io.stderr.write(`portcullis: ${sig}: shutting down\n`);
        await server.close();
      } finally {
        if (tmp) await rm(tmp, { recursive: true, force: true });
        process.off('exit', removeTmp);
      }
      setCode(0);
    });

  webhook
    .command('manifests')
    .description('print the Kubernetes objects that install the webhook (pipe to `kubectl apply -f -`)')
    .option('--namespace <ns>', 'namespace (default portcullis)')
    .option('--replicas <n>', 'webhook replicas (default 3)')
    .option('--image <ref>', 'Portcullis container image')
    .option('--redis <url>', 'Redis shared by the replicas (redis://HOST:PORT)')
    .option('--cert-manager', 'let cert-manager issue the serving certificate and inject the caBundle')
    .option('--policy <file>', 'policy file to put in the ConfigMap')
    .option('--mode <mode>', ADMISSION_MODES.join('|'))
    .option('--unknown <mode>', UNKNOWN_IMAGE_MODES.join('|'))
    .option('--failure-policy <policy>', 'Fail|Ignore (default Fail)')
    .option('--timeout <seconds>', 'timeoutSeconds, 1-30 (default 10)')
    .option(
      '--db-mirror <url>',
      'mirror of the osv.dev bucket the DB init container and refresh sidecar download from',
    )
    .option('--db-refresh <duration>', 'how often the sidecar refreshes the vulnerability DB (default 6h)')
    .action(async (flags: ManifestFlags) => {
      const [{ loadPolicy }, { renderManifests }] = await Promise.all([
        import('../../core/src/index.js'),
        import('./manifests.js'),
      ]);
      const policyYaml = flags.policy ? await readFile(flags.policy, 'utf8') : undefined;
      if (policyYaml !== undefined) await loadPolicy(flags.policy as string); // validate before printing
      const yaml = await renderManifests({
        ...(flags.namespace ? { namespace: flags.namespace } : {}),
        ...(flags.replicas ? { replicas: Number(flags.replicas) } : {}),
        ...(flags.image ? { image: flags.image } : {}),
        ...(flags.redis ? { redis: flags.redis } : {}),
        certMode: flags.certManager ? 'cert-manager' : 'generated',
        ...(policyYaml !== undefined ? { policyYaml } : {}),
        ...(flags.mode ? { mode: flags.mode as (typeof ADMISSION_MODES)[number] } : {}),
        ...(flags.unknown ? { unknown: flags.unknown as (typeof UNKNOWN_IMAGE_MODES)[number] } : {}),
        ...(flags.failurePolicy ? { failurePolicy: flags.failurePolicy as 'Fail' | 'Ignore' } : {}),
        ...(flags.timeout ? { timeoutSeconds: Number(flags.timeout) } : {}),
        ...(flags.dbMirror ? { dbMirror: flags.dbMirror } : {}),
        ...(flags.dbRefresh ? { dbRefresh: flags.dbRefresh } : {}),
        now: io.now(),
      });
      io.stdout.write(yaml.endsWith('\n') ? yaml : `${yaml}\n`);
      setCode(0);
    });
  return webhook;
}
