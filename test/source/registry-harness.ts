/**
 * Real registries for source tests: Debian's `docker-registry` (distribution 2.8) started on free
 * loopback ports with htpasswd, token or TLS configs, images pushed with skopeo, and a Node token
 * server that signs registry JWTs (x5c header, verified by the registry against `rootcertbundle`).
 */
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID, X509Certificate } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { importPKCS8, SignJWT } from 'jose';
import { TEST_IMAGES } from '../helpers/env.js';
import { freePort } from '../helpers/free-port.js';

const run = promisify(execFile);

/** True when the registry, skopeo, htpasswd and openssl binaries are all installed. */
export const haveRegistryTools: boolean = ['docker-registry', 'skopeo', 'htpasswd', 'openssl'].every(
  (bin) => spawnSync('sh', ['-c', `command -v ${bin}`]).status === 0,
);

async function waitForPort(port: number, proc: ChildProcess, log: () => string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (proc.exitCode !== null) throw new Error(`docker-registry exited early:\n${log()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`docker-registry did not listen on ${port}:\n${log()}`);
}

/** A running registry process. */
export interface RunningRegistry {
  host: string;
  stop(): Promise<void>;
}

/** Starts `docker-registry serve` with `extra` YAML appended (auth, tls) on a free port. */
export async function startRegistry(
  dir: string,
  extra: { auth?: string; tls?: string } = {},
): Promise<RunningRegistry> {
  const port = await freePort();
  const config = [
    'version: 0.1',
    'log: {level: warn}',
    'storage:',
    `  filesystem: {rootdirectory: ${join(dir, 'data')}}`,
    'http:',
    `  addr: 127.0.0.1:${port}`,
    ...(extra.tls ? [extra.tls] : []),
    ...(extra.auth ? [extra.auth] : []),
    '',
  ].join('\n');
  await writeFile(join(dir, 'config.yml'), config);
  let output = '';
  const proc = spawn('docker-registry', ['serve', join(dir, 'config.yml')], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  proc.stdout?.on('data', (c: Buffer) => (output += c.toString()));
  proc.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  await waitForPort(port, proc, () => output);
  return {
    host: `127.0.0.1:${port}`,
    async stop() {
      if (proc.exitCode !== null) return;
      const exited = new Promise((resolve) => proc.once('exit', resolve));
      proc.kill('SIGTERM');
      await exited;
    },
  };
}

/** Pushes a tag of the built OCI layout to `dest` (`HOST/repo:tag`) with skopeo. */
export async function pushImage(tag: 'min' | 'multi', dest: string, creds?: string): Promise<void> {
  const args = ['copy', '-q', '--insecure-policy', '--dest-tls-verify=false'];
  if (creds) args.push('--dest-creds', creds);
  args.push(`oci:${TEST_IMAGES}/oci:${tag}`, `docker://${dest}`);
  await run('skopeo', args, { timeout: 300_000 });
}

/** Writes an htpasswd file (bcrypt) and returns the registry auth YAML for it. */
export async function htpasswdAuth(dir: string, user: string, password: string): Promise<string> {
  const { stdout } = await run('htpasswd', ['-Bbn', user, password]);
  const path = join(dir, 'htpasswd');
  await writeFile(path, stdout);
  return `auth:\n  htpasswd:\n    realm: portcullis-test\n    path: ${path}`;
}

/** A CA and a server certificate for 127.0.0.1 (subjectAltName IP), made with openssl. */
export async function makeTlsFiles(dir: string): Promise<{ caCert: string; tlsYaml: string }> {
  const p = (f: string) => join(dir, f);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await run('openssl', [
    'req',
    '-x509',
    ...ec,
    '-keyout',
    p('ca.key'),
    '-out',
    p('ca.crt'),
    '-days',
    '2',
    '-subj',
    '/CN=portcullis-test-ca',
  ]);
  await run('openssl', [
    'req',
    ...ec,
    '-keyout',
    p('server.key'),
    '-out',
    p('server.csr'),
    '-subj',
    '/CN=127.0.0.1',
  ]);
  await writeFile(p('ext.cnf'), 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n');
  await run('openssl', [
    'x509',
    '-req',
    '-in',
    p('server.csr'),
    '-CA',
    p('ca.crt'),
    '-CAkey',
    p('ca.key'),
    '-CAcreateserial',
    '-out',
    p('server.crt'),
    '-days',
    '2',
    '-extfile',
    p('ext.cnf'),
  ]);
  return {
    caCert: await readFile(p('ca.crt'), 'utf8'),
    tlsYaml: `  tls:\n    certificate: ${p('server.crt')}\n    key: ${p('server.key')}`,
  };
}

/** A running token server plus the registry auth YAML that trusts it. */
export interface TokenServer {
  authYaml: string;
  /** Token requests seen (scope lists), for assertions. */
  requests: { scopes: string[]; user?: string }[];
  stop(): Promise<void>;
}

const SERVICE = 'portcullis-test-registry';
const ISSUER = 'portcullis-test-issuer';

/**
 * Starts a token server (docker distribution token spec): valid Basic credentials get every action they
 * ask for; anonymous requests get a token with no access; wrong credentials get 401.
 */
export async function startTokenServer(dir: string, user: string, password: string): Promise<TokenServer> {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  const keyPath = join(dir, 'token.key');
  const certPath = join(dir, 'token.crt');
  await run('openssl', [
    'req',
    '-x509',
    ...ec,
    '-keyout',
    keyPath,
    '-out',
    certPath,
    '-days',
    '2',
    '-subj',
    '/CN=portcullis-token',
  ]);
  const key = await importPKCS8(await readFile(keyPath, 'utf8'), 'ES256');
  const certDer = new X509Certificate(await readFile(certPath)).raw.toString('base64');
  const requests: TokenServer['requests'] = [];
  const expected = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  const server: Server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://token');
      const scopes = url.searchParams.getAll('scope');
      const auth = req.headers.authorization;
      requests.push(auth === expected ? { scopes, user } : { scopes });
      if (auth !== undefined && auth !== expected) {
        res.writeHead(401, { 'content-type': 'application/json' }).end('{"details":"bad credentials"}');
        return;
      }
      const access =
        auth === expected
          ? scopes.map((s) => {
              const [type, ...rest] = s.split(':');
              const actions = rest.pop() ?? '';
              return { type, name: rest.join(':'), actions: actions.split(',') };
            })
          : [];
      const now = Math.floor(Date.now() / 1000);
      const token = await new SignJWT({ access })
        .setProtectedHeader({ alg: 'ES256', typ: 'JWT', x5c: [certDer] })
        .setIssuer(ISSUER)
        .setSubject(auth === expected ? user : '')
        .setAudience(SERVICE)
        .setIssuedAt(now)
        .setNotBefore(now - 5)
        .setExpirationTime(now + 300)
        .setJti(randomUUID())
        .sign(key);
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ token, expires_in: 300 }));
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    authYaml: [
      'auth:',
      '  token:',
      `    realm: http://127.0.0.1:${port}/token`,
      `    service: ${SERVICE}`,
      `    issuer: ${ISSUER}`,
      `    rootcertbundle: ${certPath}`,
    ].join('\n'),
    requests,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
