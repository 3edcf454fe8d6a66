import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const openssl = (dir: string, ...args: string[]): void => {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
};

/** A CA and a serving cert for 127.0.0.1 and the in-cluster Service name, made with openssl. */
export function makeCerts(dir: string, prefix: string): { ca: string; cert: string; key: string } {
  openssl(
    dir,
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    `${prefix}ca.key`,
    '-out',
    `${prefix}ca.crt`,
    '-subj',
    `/CN=${prefix}test-ca`,
    '-days',
    '2',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  );
  openssl(
    dir,
    'req',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    `${prefix}tls.key`,
    '-out',
    `${prefix}tls.csr`,
    '-subj',
    '/CN=portcullis-webhook.portcullis.svc',
  );
  writeFileSync(
    join(dir, `${prefix}ext.cnf`),
    'subjectAltName=DNS:portcullis-webhook.portcullis.svc,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n',
  );
  openssl(
    dir,
    'x509',
    '-req',
    '-in',
    `${prefix}tls.csr`,
    '-CA',
    `${prefix}ca.crt`,
    '-CAkey',
    `${prefix}ca.key`,
    '-CAcreateserial',
    '-out',
    `${prefix}tls.crt`,
    '-days',
    '2',
    '-extfile',
    `${prefix}ext.cnf`,
  );
  return {
    ca: readFileSync(join(dir, `${prefix}ca.crt`), 'utf8'),
    cert: join(dir, `${prefix}tls.crt`),
    key: join(dir, `${prefix}tls.key`),
  };
}
