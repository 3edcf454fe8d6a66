import { describe, expect, it } from 'vitest';
import { isSecretName, redactText } from '../../../core/src/analyzers/buildinstruction/index.js';

describe('isSecretName', () => {
  it.each([
    'DB_PASSWORD',
    'MYSQL_ROOT_PASSWORD',
    'GITHUB_TOKEN',
    'API_KEY',
    'AWS_SECRET_ACCESS_KEY',
    'apiKey',
    'NPM_TOKEN',
    'CLIENT_SECRET',
    'PasS',
    'password',
    'SSH_KEY',
    'LICENSE_KEY',
    'JWT_KEY',
    'SECRET_API_KEY',
  ])('%s is secret', (name) => expect(isSecretName(name)).toBe(true));
  it.each([
    'GPG_KEY',
    'PATH',
    'PWD',
    'POSTGRES_PASSWORD_FILE',
    'TOKEN_URL',
    'KEYRING',
    'PASSWORD_LENGTH',
    'AWS_ACCESS_KEY_ID',
    'GPG_KEYS',
    'HELLO',
    'SSH_KEY_PATH',
  ])('%s is not', (name) => expect(isSecretName(name)).toBe(false));
});

describe('redactText', () => {
  it.each([
    ['git clone https://bot:ghp_s3cr3tvalue@github.com/o/r.git', 'ghp_s3cr3tvalue'],
    ['curl -u admin:hunter2pass https://x', 'hunter2pass'],
    ['docker login -u me -p pa55word registry.example.com', 'pa55word'],
    ['mysql -uroot -proot_pw_123 db', 'root_pw_123'],
    ['aws configure set aws_secret_access_key wJalrXUtnFEMIexample', 'wJalrXUtnFEMIexample'],
    ['export DB_PASSWORD="v3ry secret" && run', 'v3ry secret'],
    ['npm config set //r/:_authToken --token abc123tok', 'abc123tok'],
    ["curl -H 'Authorization: Bearer eyJhbGciOi.x.y' https://api", 'eyJhbGciOi'],
  ])('hides the secret in %s', (text, secret) => {
    const out = redactText(text);
    expect(out).not.toContain(secret);
    expect(out).toContain('****');
  });

  it('leaves ordinary commands alone', () => {
    const cmd = 'apt-get install -y curl=7.88 && HOME=/root make -j4';
    expect(redactText(cmd)).toBe(cmd);
  });
});
