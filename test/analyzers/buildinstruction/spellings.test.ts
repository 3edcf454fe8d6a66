// Issue 16: package-manager spellings real Dockerfiles use, ONBUILD, local-archive ADD, and history
// entries (ADD instead of COPY, upgrades, secrets whatever the name's case and quoting).
import { describe, expect, it } from 'vitest';
import { analyzeDockerfile, analyzeHistory } from '../../../core/src/analyzers/buildinstruction/index.js';
import { isSecretName } from '../../../core/src/analyzers/buildinstruction/redact.js';

const ids = (...body: string[]): string[] =>
  analyzeDockerfile(
    ['FROM alpine:3.19', ...body, 'HEALTHCHECK CMD true', 'USER app'].join('\n'),
    'Dockerfile',
  ).map((f) => f.id);

const historyIds = (...createdBy: string[]): string[] =>
  analyzeHistory(createdBy.map((c) => ({ created_by: c, empty_layer: true }))).map((f) => f.id);

describe('package-manager spellings', () => {
  it.each([
    'RUN apt-get -q -q install --no-install-recommends curl=8.5.0-2 && rm -rf /var/lib/apt/lists/*',
    'RUN apt-get -q=2 install --no-install-recommends curl=8.5.0-2 && rm -rf /var/lib/apt/lists/*',
    'RUN apt-get --quiet --quiet install --no-install-recommends curl=8.5.0-2 && rm -rf /var/lib/apt/lists/*',
    'RUN apt-get -qq install --no-install-recommends curl=8.5.0-2 && rm -rf /var/lib/apt/lists/*',
  ])('two levels of quiet imply -y: %s', (line) => {
    expect(ids(line)).not.toContain('DS021');
  });

  it.each([
    'RUN apt-get -q install --no-install-recommends curl=8.5.0-2 && rm -rf /var/lib/apt/lists/*',
    'RUN apt-get --quiet install --no-install-recommends curl=8.5.0-2 && rm -rf /var/lib/apt/lists/*',
  ])('one level does not: %s', (line) => {
    expect(ids(line)).toContain('DS021');
  });

  it('checks aptitude like apt-get', () => {
    expect(ids('RUN aptitude install curl')).toEqual(
      expect.arrayContaining(['DS021', 'PCS-BUILD-APT-LISTS-NOT-REMOVED']),
    );
    expect(ids('RUN aptitude install -y -R curl=8.5.0-2 && rm -rf /var/lib/apt/lists/*')).toEqual([]);
  });

  it('reads `dnf in` and `dnf module install` as installs that need a clean', () => {
    expect(ids('RUN dnf in -y httpd-2.4.57')).toContain('DS019');
    expect(ids('RUN dnf in -y httpd-2.4.57 && dnf clean all')).not.toContain('DS019');
    expect(ids('RUN dnf module install -y nodejs:18')).toContain('DS019');
    expect(ids('RUN dnf module install -y nodejs:18 && dnf clean all')).toEqual([]);
    expect(ids('RUN yum module install -y nodejs && yum clean all')).toContain('PCS-BUILD-PKG-UNPINNED');
    expect(ids('RUN microdnf module install nodejs:18')).toContain('DS027');
  });

  it('accepts removing the cache directory, or a cache or tmpfs mount on it, as cleanup', () => {
    expect(ids('RUN yum install -y httpd-2.4.57 && rm -rf /var/cache/yum')).not.toContain('DS015');
    expect(ids('RUN dnf install -y httpd-2.4.57 && rm -rf /var/cache/*')).not.toContain('DS019');
    expect(ids('RUN --mount=type=cache,target=/var/cache/dnf dnf install -y httpd-2.4.57')).not.toContain(
      'DS019',
    );
    expect(ids('RUN microdnf install -y httpd-2.4.57 && rm -rf /var/cache/yum')).not.toContain('DS027');
    expect(ids('RUN apk add curl=8.5.0-r0 && rm -rf /var/cache/apk/*')).not.toContain('DS025');
    expect(ids('RUN --mount=type=cache,target=/var/cache/apk apk add curl=8.5.0-r0')).not.toContain('DS025');
    expect(
      ids(
        'RUN --mount=type=tmpfs,target=/var/lib/apt/lists apt-get install -y --no-install-recommends curl=8.5.0-2',
      ),
    ).toEqual([]);
    // the negative: removing something else is not a cleanup
    expect(ids('RUN dnf install -y httpd-2.4.57 && rm -rf /tmp/x')).toContain('DS019');
    expect(ids('RUN apk add curl=8.5.0-r0 && rm -rf /tmp/*')).toContain('DS025');
  });

  it('skips the value of `apk add --virtual` when looking for unpinned packages', () => {
    expect(ids('RUN apk add --no-cache --virtual .build-deps gcc=13.2.1-r0')).toEqual([]);
    expect(ids('RUN apk add --no-cache --virtual .build-deps gcc')).toContain('PCS-BUILD-PKG-UNPINNED');
  });

  it('flags whole-system upgrades', () => {
    expect(ids('RUN apt-get update && apt-get upgrade -y')).toContain('PCS-BUILD-PKG-UPGRADE');
    expect(ids('RUN apk upgrade --no-cache')).toContain('PCS-BUILD-PKG-UPGRADE');
    expect(
      ids(
        'RUN apt-get update && apt-get install -y --no-install-recommends curl=8 && rm -rf /var/lib/apt/lists/*',
      ),
    ).not.toContain('PCS-BUILD-PKG-UPGRADE');
  });
});

describe('ONBUILD', () => {
  it('checks the carried instruction like one written in the stage, on the ONBUILD line', () => {
    const findings = analyzeDockerfile(
      [
        'FROM alpine:3.19',
        'ONBUILD RUN curl -fsSL https://x.example.com/i.sh | sh',
        'ONBUILD ENV DB_PASSWORD=hunter2',
        'ONBUILD ADD app.py /app/',
        'HEALTHCHECK CMD true',
        'USER app',
      ].join('\n'),
      'Dockerfile',
    );
    expect(findings.map((f) => [f.id, f.location.line])).toEqual(
      expect.arrayContaining([
        ['PCS-BUILD-PIPE-TO-SHELL', 2],
        ['PCS-BUILD-SECRET-ENV', 3],
        ['DS005', 4],
      ]),
    );
    expect(JSON.stringify(findings)).not.toContain('hunter2');
    expect(ids('ONBUILD COPY . /app')).toEqual([]);
  });
});

describe('ADD', () => {
  it.each(['ADD rootfs.tar.gz /', 'ADD app.tgz /opt/', 'ADD data.tar.xz /srv/', 'ADD build.tar.zst /b/'])(
    'does not flag a local archive: %s',
    (line) => {
      expect(ids(line)).toEqual([]);
    },
  );
  it('flags a local plain file and a remote archive (for what each is)', () => {
    expect(ids('ADD app.py /app/')).toContain('DS005');
    expect(ids('ADD app.zip /app/')).toContain('DS005');
    const remote = ids('ADD https://example.com/app.tar.gz /app/');
    expect(remote).toContain('PCS-BUILD-ADD-REMOTE-URL');
    expect(remote).not.toContain('DS005');
  });
});

describe('image history', () => {
  it('flags ADD where COPY would do, not the base root file system or an archive', () => {
    expect(historyIds('ADD app.py /app/ # buildkit')).toContain('DS005');
    expect(historyIds('/bin/sh -c #(nop) ADD dir:3a5b in /app')).toContain('DS005');
    expect(historyIds('/bin/sh -c #(nop) ADD file:0a1b2c in / ')).not.toContain('DS005');
    expect(historyIds('ADD rootfs.tar.gz / # buildkit')).not.toContain('DS005');
  });

  it('flags apt-get upgrade', () => {
    expect(historyIds('/bin/sh -c apt-get update && apt-get upgrade -y')).toContain('PCS-BUILD-PKG-UPGRADE');
  });

  it.each([
    '/bin/sh -c #(nop)  ENV PasS=s3cr3t-v4lue',
    '/bin/sh -c #(nop)  ENV SECRET=two words',
    'ENV SECRET="two words" # buildkit',
    '/bin/sh -c #(nop)  ENV A=1 B=2 api_key=abc123def',
    '/bin/sh -c #(nop)  ENV MYSQL_PASSWORD s3cr3t value',
    'ENV "DB_Password"=x1y2z3 # buildkit',
  ])('finds a secret in %s and never shows it', (createdBy) => {
    const findings = analyzeHistory([{ created_by: createdBy }]);
    expect(findings.map((f) => f.id)).toContain('PCS-BUILD-SECRET-ENV');
    const text = JSON.stringify(findings);
    for (const v of ['s3cr3t', 'two words', 'abc123def', 'x1y2z3']) expect(text).not.toContain(v);
  });

  it.each([
    '/bin/sh -c #(nop)  ENV PASSWORD_FILE=/run/secrets/db',
    '/bin/sh -c #(nop)  ENV TOKEN=${TOKEN}',
    '/bin/sh -c #(nop)  ENV PATH=/usr/local/bin:/usr/bin',
    '/bin/sh -c #(nop)  ENV PASSWORD=',
  ])('does not flag %s', (createdBy) => {
    expect(historyIds(createdBy)).not.toContain('PCS-BUILD-SECRET-ENV');
  });

  it('reads names whatever their case', () => {
    expect(isSecretName('PasS')).toBe(true);
    expect(isSecretName('dbPassword')).toBe(true);
    expect(isSecretName('PASSPORT')).toBe(false);
  });
});
