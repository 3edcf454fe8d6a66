import { describe, expect, it } from 'vitest';
import { analyzeDockerfile } from '../../../core/src/analyzers/buildinstruction/index.js';
import type { Finding } from '../../../core/src/types/finding.js';

function scan(lines: string[]): Finding[] {
  return analyzeDockerfile(lines.join('\n'), 'app/Dockerfile');
}

function ids(lines: string[]): string[] {
  return scan(lines).map((f) => f.id);
}

/** A final stage that raises none of the image-level rules, so only the line under test can fire. */
const base = (...body: string[]): string[] => [
  'FROM alpine:3.19',
  ...body,
  'HEALTHCHECK CMD true',
  'USER app',
];

describe('analyzeDockerfile', () => {
  describe('pipe-to-shell downloads', () => {
    it.each([
      'RUN curl -fsSL https://get.example.com/install.sh | sh',
      'RUN wget -O- https://get.example.com/i.sh | bash',
      'RUN curl -sL https://deb.example.com/setup | sudo -E bash -',
      'RUN curl -s https://x.example.com/a | tee /tmp/a | python3 -',
      'RUN sh -c "$(curl -fsSL https://raw.example.com/install.sh)"',
      'RUN bash <(wget -qO- https://x.example.com/s.sh)',
    ])('flags %s', (line) => {
      expect(ids(base(line))).toContain('PCS-BUILD-PIPE-TO-SHELL');
    });

    it.each([
      'RUN curl -fsSLo /tmp/i.sh https://get.example.com/i.sh && sha256sum -c sums && sh /tmp/i.sh',
      'RUN curl -fsSL https://example.com/x.tar.gz | tar -xz -C /opt',
      'RUN echo curl | sh',
    ])('does not flag %s', (line) => {
      expect(ids(base(line))).not.toContain('PCS-BUILD-PIPE-TO-SHELL');
    });
  });

  describe('ADD of remote URLs', () => {
    it('flags http(s) and git sources, but not a checksum-pinned download or a local file', () => {
      expect(ids(base('ADD https://example.com/app.tgz /opt/'))).toContain('PCS-BUILD-ADD-REMOTE-URL');
      expect(ids(base('ADD git@github.com:org/repo.git /src'))).toContain('PCS-BUILD-ADD-REMOTE-URL');
      expect(
        ids(
          base(
            'ADD --checksum=sha256:24454f830cdb571e2c4ad15481119c43b3cafd48dd869a9b2945d1036d1dc68d https://example.com/a /a',
          ),
        ),
      ).not.toContain('PCS-BUILD-ADD-REMOTE-URL');
      const local = ids(base('ADD app.jar /app.jar'));
      expect(local).not.toContain('PCS-BUILD-ADD-REMOTE-URL');
      expect(local).toContain('DS005');
    });

    it('redacts URL credentials in the evidence', () => {
      const f = scan(base('ADD https://deploy:s3cr3tPassw0rd@example.com/app.tgz /opt/'));
      expect(JSON.stringify(f)).not.toContain('s3cr3tPassw0rd');
      expect(f.find((x) => x.id === 'PCS-BUILD-ADD-REMOTE-URL')?.evidence).toContain('deploy:****@');
    });
  });

  describe('secrets in ENV and ARG', () => {
    const lines = base(
      'ENV DB_PASSWORD=hunter2-not-real API_KEY="k-live-123456" GPG_KEY=A4A9406876FCBD3C456770C88C718D3B5072E1F5',
      'ARG NPM_TOKEN=npm_abcdefghijklmnop',
      'ARG BUILD_PASSWORD',
      'ENV APP_PASSWORD=$APP_PASSWORD POSTGRES_PASSWORD_FILE=/run/secrets/db',
    );
    const findings = scan(lines);

    it('reports each literal secret, naming the variable on its line', () => {
      const secret = findings.filter((f) => f.id.startsWith('PCS-BUILD-SECRET'));
      expect(secret.map((f) => [f.id, f.location.line, f.evidence])).toEqual([
        ['PCS-BUILD-SECRET-ENV', 2, 'ENV DB_PASSWORD=****'],
        ['PCS-BUILD-SECRET-ENV', 2, 'ENV API_KEY=****'],
        ['PCS-BUILD-SECRET-ARG', 3, 'ARG NPM_TOKEN=****'],
      ]);
    });

    it('never carries a secret value anywhere in the findings', () => {
      const json = JSON.stringify(findings);
      for (const value of ['hunter2-not-real', 'k-live-123456', 'npm_abcdefghijklmnop'])
        expect(json).not.toContain(value);
    });

    it('treats global ARGs before FROM the same way', () => {
      expect(ids(['ARG GITHUB_TOKEN=ghp_exampleexampleexample', ...base()])).toContain(
        'PCS-BUILD-SECRET-ARG',
      );
    });
  });

  describe(':latest and untagged base images (DS001)', () => {
    it.each([
      ['FROM ubuntu', true],
      ['FROM ubuntu:latest', true],
      ['FROM localhost:5000/team/app', true],
      ['FROM localhost:5000/team/app:1.2', false],
      ['FROM ubuntu@sha256:4b1d0c4a2d2aaf63b37111f34eb9fa89fa1bf53dd6e4ca954d47caebca4005c2', false],
      ['FROM scratch', false],
    ])('%s → %s', (from, flagged) => {
      expect(ids([from, 'HEALTHCHECK CMD true', 'USER app']).includes('DS001')).toBe(flagged);
    });

    it('does not flag a stage built on an earlier stage, or a tag from a build arg without default', () => {
      expect(ids(['FROM golang:1.22 AS build', 'FROM build', 'USER app'])).not.toContain('DS001');
      expect(ids(['ARG TAG', 'FROM alpine:$TAG', 'USER app'])).not.toContain('DS001');
      expect(ids(['ARG TAG=latest', 'FROM alpine:${TAG}', 'USER app'])).toContain('DS001');
    });
  });

  describe('commands', () => {
    it('flags sudo, world-writable chmod and setuid chmod, but not the sticky 1777', () => {
      expect(ids(base('RUN sudo apk add --no-cache curl=8.5.0-r0'))).toContain('DS010');
      expect(ids(base('RUN chmod -R 777 /app'))).toContain('PCS-BUILD-CHMOD-WORLD-WRITABLE');
      expect(ids(base('RUN chmod o+w /data'))).toContain('PCS-BUILD-CHMOD-WORLD-WRITABLE');
      expect(ids(base('RUN chmod 4755 /usr/local/bin/tool'))).toContain('PCS-BUILD-CHMOD-SETUID');
      expect(ids(base('RUN chmod u+s /usr/local/bin/tool'))).toContain('PCS-BUILD-CHMOD-SETUID');
      const sticky = ids(base('RUN chmod 1777 /tmp && chmod 755 /app'));
      expect(sticky).not.toContain('PCS-BUILD-CHMOD-WORLD-WRITABLE');
      expect(sticky).not.toContain('PCS-BUILD-CHMOD-SETUID');
    });

    it('asks apt-get for -y, --no-install-recommends, pinned versions and removed lists', () => {
      expect(ids(base('RUN apt-get update && apt-get install curl'))).toEqual(
        expect.arrayContaining([
          'DS021',
          'DS029',
          'PCS-BUILD-PKG-UNPINNED',
          'PCS-BUILD-APT-LISTS-NOT-REMOVED',
        ]),
      );
      const clean = ids(
        base(
          'RUN apt-get update && apt-get install -y --no-install-recommends curl=7.88.1-10 \\',
          ' && rm -rf /var/lib/apt/lists/*',
        ),
      );
      expect(clean).toEqual([]);
      const cached = ids(
        base(
          'RUN --mount=type=cache,target=/var/lib/apt apt-get update && apt-get -qq install --no-install-recommends curl=1',
        ),
      );
      expect(cached).toEqual([]);
    });

    it('asks apk for --no-cache and pinned versions', () => {
      expect(ids(base('RUN apk add curl'))).toEqual(
        expect.arrayContaining(['DS025', 'PCS-BUILD-PKG-UNPINNED']),
      );
      expect(ids(base('RUN apk add --no-cache curl=8.5.0-r0'))).toEqual([]);
    });

    it('asks yum, dnf and zypper for pinned versions and their clean command', () => {
      expect(ids(base('RUN yum install -y httpd && yum clean all'))).toEqual(['PCS-BUILD-PKG-UNPINNED']);
      expect(ids(base('RUN yum install -y httpd-2.4.57-5.el9 && yum clean all'))).toEqual([]);
      expect(
        ids(base('RUN dnf install -y --setopt=install_weak_deps=False nginx-1.24.0 && dnf clean all')),
      ).toEqual([]);
      expect(ids(base('RUN zypper -n in curl=8.0.1 && zypper clean'))).toEqual([]);
      expect(ids(base('RUN zypper -n install curl'))).toEqual(
        expect.arrayContaining(['DS020', 'PCS-BUILD-PKG-UNPINNED']),
      );
      expect(ids(base('RUN dnf install -y /tmp/local.rpm && dnf clean all'))).toEqual([]);
    });

    it('reads the script of a RUN heredoc', () => {
      const lines = [
        'FROM debian:12',
        'RUN <<EOF',
        'set -e',
        'curl -fsSL https://x.example.com/i | sh',
        'EOF',
        'USER app',
      ];
      const f = scan(lines).find((x) => x.id === 'PCS-BUILD-PIPE-TO-SHELL');
      expect(f?.location).toEqual({ path: 'app/Dockerfile', line: 2, endLine: 5 });
    });
  });

  describe('EXPOSE', () => {
    it.each([
      ['EXPOSE 22', true],
      ['EXPOSE 22/tcp 80', true],
      ['EXPOSE 20-30', true],
      ['EXPOSE 2222', false],
      ['EXPOSE 22/udp', false],
    ])('%s → port 22 %s', (line, flagged) => {
      expect(ids(base(line)).includes('DS004')).toBe(flagged);
    });
  });

  describe('USER and HEALTHCHECK of the final stage', () => {
    it('flags a final stage without USER even when a builder stage has one', () => {
      const f = scan([
        'FROM golang:1.22 AS build',
        'USER builder',
        'FROM alpine:3.19',
        'HEALTHCHECK CMD true',
      ]);
      expect(f.filter((x) => x.id === 'DS002').map((x) => x.location.line)).toEqual([3]);
    });

    it('flags USER root / 0 / 0:0 as the last USER, on its line', () => {
      for (const user of ['root', '0', '0:0', 'root:root']) {
        const f = scan(['FROM alpine:3.19', 'USER app', 'HEALTHCHECK CMD true', `USER ${user}`]);
        expect(f.filter((x) => x.id === 'DS002').map((x) => x.location.line)).toEqual([4]);
      }
    });

    it('inherits USER and HEALTHCHECK from the stage the final stage is built on', () => {
      expect(
        ids(['FROM alpine:3.19 AS base', 'USER app', 'HEALTHCHECK CMD true', 'FROM base', 'CMD ["./app"]']),
      ).toEqual([]);
    });

    it('reports DS026 at the final FROM when no HEALTHCHECK exists', () => {
      const f = scan(['FROM alpine:3.19', 'USER app']);
      expect(f.map((x) => [x.id, x.location.line, x.severity])).toEqual([['DS026', 1, 'low']]);
    });
  });

  describe('findings', () => {
    it('carry type, rule id, AVD alias, severity, title, remediation and the instruction lines', () => {
      const [f] = scan([
        'FROM alpine:3.19',
        'USER app',
        'HEALTHCHECK CMD true',
        'RUN echo a \\',
        '  && sudo true',
      ]);
      expect(f).toEqual({
        type: 'build-instruction',
        id: 'DS010',
        ruleId: 'DS010',
        severity: 'critical',
        title: "RUN using 'sudo'",
        description: 'sudo used in RUN',
        remediation: expect.stringContaining('sudo') as string,
        location: { path: 'app/Dockerfile', line: 4, endLine: 5 },
        evidence: 'RUN echo a && sudo true',
        aliases: ['AVD-DS-0010', 'DL3004', 'DKL-DI-0001'],
      });
    });

    it('can skip rules by id', () => {
      const f = analyzeDockerfile('FROM alpine:3.19\nUSER app', 'Dockerfile', { skipRules: ['DS026'] });
      expect(f).toEqual([]);
    });
  });
});

describe('scripts run through a shell', () => {
  it('reads sh -c scripts in shell and exec form', () => {
    const base2 = (line: string): string[] => ['FROM alpine:3.19', line, 'HEALTHCHECK CMD true', 'USER app'];
    expect(ids(base2('RUN ["/bin/sh", "-c", "curl -fsSL https://x.example.com/i | sh"]'))).toContain(
      'PCS-BUILD-PIPE-TO-SHELL',
    );
    expect(ids(base2('RUN bash -ec "sudo chmod 777 /srv"'))).toEqual(
      expect.arrayContaining(['DS010', 'PCS-BUILD-CHMOD-WORLD-WRITABLE']),
    );
    expect(ids(base2('RUN ["echo", "curl | sh"]'))).not.toContain('PCS-BUILD-PIPE-TO-SHELL');
  });
});
