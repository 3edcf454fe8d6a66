import { describe, expect, it } from 'vitest';
import { secretAnalyzer } from '../../../core/src/analyzers/secret/index.js';
import type { ImageFile } from '../../../core/src/types/file.js';
import type { Finding } from '../../../core/src/types/finding.js';

// Synthetic (fake) credentials in each supported file format; the test also checks that none of the
// marked secret values appears in the findings.
const B64 = 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQDndJt7NaG8T64';
const JWT =
  'eyJhbGciOiJSUzI1NiIsImtpZCI6IjEyMyJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQifQ.c2lnbmF0dXJlc2lnbmF0dXJl';

interface Case {
  name: string;
  path: string;
  text: string;
  expect: [id: string, line: number | undefined][];
  secrets: string[];
  title?: RegExp;
}

const CASES: Case[] = [
  {
    name: 'Docker config.json auths',
    path: '/root/.docker/config.json',
    text: '{\n  "auths": {\n    "registry.example.com": { "auth": "Ym90OnMzY3IzdFBhc3N3MHJkMTIz" }\n  }\n}\n',
    expect: [['PCS-SECRET-DOCKER-CONFIG-AUTH', 3]],
    secrets: ['Ym90OnMzY3IzdFBhc3N3MHJkMTIz'],
  },
  {
    name: 'kubeconfig with a token and a client key',
    path: '/root/.kube/config',
    text: `apiVersion: v1\nkind: Config\nusers:\n- name: ci\n  user:\n    token: ${JWT}\n    client-key-data: LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQpNSUlFcEFJQkFBS0NBUUVB\n`,
    expect: [
      ['PCS-SECRET-KUBECONFIG-TOKEN', 6],
      ['PCS-SECRET-JWT', 6],
      ['PCS-SECRET-KUBECONFIG-CLIENT-KEY', 7],
    ],
    secrets: [JWT, 'LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQpNSUlFcEFJQkFBS0NBUUVB'],
  },
  {
    name: '.git-credentials',
    path: '/root/.git-credentials',
    text: 'https://ci-bot:Zx9Qw7Er5Ty3Ui1Op@git.example.com\n',
    expect: [
      ['PCS-SECRET-GIT-CREDENTIALS', undefined],
      ['PCS-SECRET-BASIC-AUTH-URL', 1],
    ],
    secrets: ['Zx9Qw7Er5Ty3Ui1Op'],
  },
  {
    name: '.netrc',
    path: '/root/.netrc',
    text: 'machine api.example.com\n  login deploy\n  password Hq8Lm2Nx6Vb4\n',
    expect: [['PCS-SECRET-NETRC-PASSWORD', 3]],
    secrets: ['Hq8Lm2Nx6Vb4'],
  },
  {
    name: '.pypirc with a PyPI token',
    path: '/home/app/.pypirc',
    text: `[pypi]\nusername = __token__\npassword = pypi-AgEIcHlwaS5vcmc${'Ab3dE'.repeat(12)}\n`,
    expect: [
      ['PCS-SECRET-PYPIRC-PASSWORD', 3],
      ['PCS-SECRET-PYPI-TOKEN', 3],
    ],
    secrets: [`pypi-AgEIcHlwaS5vcmc${'Ab3dE'.repeat(12)}`],
  },
  {
    name: 'PuTTY key',
    path: '/root/id.ppk',
    text: 'PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\nComment: ci\nPublic-Lines: 1\nAAAAC3NzaC1lZDI1NTE5AAAAIGb4\nPrivate-Lines: 1\nAAAAIHx4eHh4eHh4eHh4eHh4eHh4eHh4\nPrivate-MAC: 00\n',
    expect: [['PCS-SECRET-PUTTY-PRIVATE-KEY', 1]],
    secrets: ['AAAAIHx4eHh4eHh4eHh4eHh4eHh4eHh4'],
  },
  {
    name: 'PGP private key block',
    path: '/root/secring.asc',
    text: `-----BEGIN PGP PRIVATE KEY BLOCK-----\nVersion: GnuPG v2\n\nlQOYBF${B64}\n${B64}\n-----END PGP PRIVATE KEY BLOCK-----\n`,
    expect: [['PCS-SECRET-PRIVATE-KEY', 1]],
    secrets: [B64],
  },
  {
    name: 'legacy encrypted PEM',
    path: '/etc/ssl/private/server.key',
    text: `-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,0123456789ABCDEF\n\n${B64}\n-----END RSA PRIVATE KEY-----\n`,
    expect: [['PCS-SECRET-PRIVATE-KEY', 1]],
    secrets: [B64],
    title: /encrypted/,
  },
  {
    name: 'certificate bundled with its key',
    path: '/etc/ssl/bundle.pem',
    text: `-----BEGIN CERTIFICATE-----\nMIIB${B64}\n-----END CERTIFICATE-----\n-----BEGIN PRIVATE KEY-----\n${B64}\n-----END PRIVATE KEY-----\n`,
    expect: [['PCS-SECRET-CERTIFICATE-PRIVATE-KEY', 4]],
    secrets: [B64],
  },
  {
    name: 'Azure storage connection string and client secret',
    path: '/app/appsettings.json',
    text: `{"Storage": "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=${'Qk3x'.repeat(21)}Zq==;EndpointSuffix=core.windows.net",\n "AZURE_CLIENT_SECRET": "Xy7~Qk2.Lm9_Pz4-Rt8Vb1Nc6Wd3Fg5Hj0Ks"}\n`,
    expect: [
      ['PCS-SECRET-AZURE-STORAGE-CONNECTION-STRING', 1],
      ['PCS-SECRET-AZURE-CLIENT-SECRET', 2],
    ],
    secrets: [`${'Qk3x'.repeat(21)}Zq==`, 'Xy7~Qk2.Lm9_Pz4-Rt8Vb1Nc6Wd3Fg5Hj0Ks'],
  },
  {
    name: 'GCP service-account key',
    path: '/app/sa.json',
    text: `{\n  "type": "service_account",\n  "private_key_id": "0123456789abcdef0123456789abcdef01234567",\n  "private_key": "-----BEGIN PRIVATE KEY-----\\n${B64}\\n-----END PRIVATE KEY-----\\n"\n}\n`,
    expect: [
      ['PCS-SECRET-GCP-SERVICE-ACCOUNT', 2],
      ['PCS-SECRET-PRIVATE-KEY', 4],
    ],
    secrets: [B64, '0123456789abcdef0123456789abcdef01234567'],
  },
  {
    name: 'debconf password answers',
    path: '/var/cache/debconf/passwords.dat',
    text: 'Name: mysql-server/root_password\nTemplate: mysql-server/root_password\nValue: Db4dm1nR00tPw\nOwners: mysql-server\n\nName: x/empty\nValue: \n',
    expect: [['PCS-SECRET-DEBCONF-PASSWORD', 3]],
    secrets: ['Db4dm1nR00tPw'],
  },
  {
    name: 'JDBC URL and password in application.properties',
    path: '/app/application.properties',
    text: 'spring.datasource.url=jdbc:postgresql://app:S3cretPassw0rd@db:5432/app\nspring.datasource.password=An0therS3cret!\n',
    expect: [
      ['PCS-SECRET-DATABASE-URL-CREDENTIALS', 1],
      ['PCS-SECRET-PASSWORD-IN-CONFIG', 2],
    ],
    secrets: ['S3cretPassw0rd', 'An0therS3cret!'],
  },
];

function fileOf(path: string, text: string): ImageFile {
  const content = Buffer.from(text);
  return {
    path,
    kind: 'file',
    mode: 0o600,
    size: content.length,
    uid: 0,
    gid: 0,
    layerDigest: 'sha256:l',
    layerIndex: 0,
    content,
  };
}

describe('secretAnalyzer on credential files and key formats', () => {
  for (const c of CASES) {
    it(`reports ${c.name}`, async () => {
      const file = fileOf(c.path, c.text);
      expect(secretAnalyzer.required(file.path, file)).toBe(true);
      const findings: Finding[] = (await secretAnalyzer.analyze?.(file, {}))?.findings ?? [];
      const got = findings.map((f) => [f.id, f.location.line]);
      expect(got).toEqual(expect.arrayContaining(c.expect));
      expect(got).toHaveLength(c.expect.length);
      if (c.title) expect(findings[0]?.title).toMatch(c.title);
      const json = JSON.stringify(findings);
      for (const s of c.secrets) expect(json).not.toContain(s.slice(4, 12));
    });
  }
});
