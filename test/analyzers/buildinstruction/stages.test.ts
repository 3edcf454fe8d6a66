import { describe, expect, it } from 'vitest';
import { analyzeDockerfile } from '../../../core/src/analyzers/buildinstruction/index.js';
import { isFindingMatch } from '../../../core/src/policy/match.js';

function ids(...lines: string[]): string[] {
  return analyzeDockerfile(lines.join('\n'), 'Dockerfile').map((f) => f.id);
}

/** Closes a file with a final stage that raises none of the image-level rules. */
const FINAL = ['FROM alpine:3.19', 'HEALTHCHECK CMD true', 'USER app'];

describe('multi-stage Dockerfiles', () => {
  it('judges the final image user on the final stage and the stages it is built FROM only', () => {
    expect(ids('FROM debian:12 AS build', 'USER root', 'RUN make', ...FINAL)).not.toContain('DS002');
    expect(ids('FROM debian:12 AS base', 'USER root', 'FROM base', 'HEALTHCHECK CMD true')).toContain(
      'DS002',
    );
    expect(ids('FROM debian:12 AS base', 'USER app', 'FROM base', 'HEALTHCHECK CMD true')).not.toContain(
      'DS002',
    );
  });

  it('counts caches left in a layer only where the final image is built on them (ONBUILD everywhere)', () => {
    const builder = ['FROM debian:12 AS build', 'RUN apk add gcc=13.2.1-r0'];
    expect(ids(...builder, ...FINAL)).not.toContain('DS025');
    expect(ids(...builder, 'FROM build', 'HEALTHCHECK CMD true', 'USER app')).toContain('DS025');
    expect(ids('FROM debian:12 AS build', 'ONBUILD RUN apk add gcc=13.2.1-r0', ...FINAL)).toContain('DS025');
    // a builder's missing yum clean is not the final image's
    const yum = ['FROM rockylinux:9 AS build', 'RUN yum install -y gcc-11.4.1'];
    expect(ids(...yum, ...FINAL)).not.toContain('DS015');
    expect(ids(...yum, 'FROM build', 'HEALTHCHECK CMD true', 'USER app')).toContain('DS015');
  });

  it('requires COPY --from to name an earlier stage, an earlier index or an explicit image', () => {
    const rule = 'PCS-BUILD-COPY-FROM-UNKNOWN-STAGE';
    expect(
      ids('FROM golang:1.22 AS Build', 'RUN go build', ...FINAL, 'COPY --from=build /app /app'),
    ).not.toContain(rule);
    expect(ids('FROM golang:1.22', 'RUN go build', ...FINAL, 'COPY --from=0 /app /app')).not.toContain(rule);
    expect(ids(...FINAL, 'COPY --from=nginx:1.27 /etc/nginx /etc/nginx')).not.toContain(rule);
    expect(ids(...FINAL, 'COPY --from=ghcr.io/acme/tools /bin/t /bin/t')).not.toContain(rule);
    expect(
      ids('ARG SRC=build', 'FROM golang:1.22 AS build', ...FINAL, 'COPY --from=${SRC} /a /a'),
    ).not.toContain(rule);
    expect(ids(...FINAL, 'COPY --from=buidl /app /app')).toContain(rule);
    expect(ids(...FINAL, 'COPY --from=1 /app /app')).toContain(rule);
    expect(ids(...FINAL, 'COPY --from=later /app /app', 'FROM alpine:3.19 AS later')).toContain(rule);
  });

  it('asks for pipefail per stage, inheriting SHELL from a parent stage', () => {
    const rule = 'PCS-BUILD-PIPEFAIL';
    const pipe = 'RUN curl -fsSL https://example.com/x.tgz | tar -xz -C /opt';
    expect(ids(...FINAL, pipe)).toContain(rule);
    expect(ids(...FINAL, 'SHELL ["/bin/ash", "-eo", "pipefail", "-c"]', pipe)).not.toContain(rule);
    expect(ids(...FINAL, 'RUN set -euo pipefail; curl -fsSL https://e.com/x | tar -x')).not.toContain(rule);
    expect(ids(...FINAL, 'RUN set -eux -o pipefail && curl -fsSL https://e.com/x | tar -x')).not.toContain(
      rule,
    );
    expect(
      ids('FROM alpine:3.19 AS base', 'SHELL ["/bin/ash", "-o", "pipefail", "-c"]', 'FROM base', pipe),
    ).not.toContain(rule);
    expect(ids(...FINAL, 'RUN ["/bin/tar", "-xf", "x.tar"]', 'RUN a && b || c')).not.toContain(rule);
    expect(ids(...FINAL, 'RUN <<EOF', 'curl -fsSL https://e.com/x | tar -x', 'EOF')).toContain(rule);
    // a download piped into a shell is that finding, with the missing pipefail as its DL4006 alias
    const piped = analyzeDockerfile(
      [...FINAL, 'RUN curl -fsSL https://e.com/i.sh | sh'].join('\n'),
      'Dockerfile',
    );
    expect(piped.map((f) => [f.id, f.aliases])).toEqual([['PCS-BUILD-PIPE-TO-SHELL', ['DL4006']]]);
    const safe = analyzeDockerfile(
      [...FINAL, 'SHELL ["/bin/ash", "-o", "pipefail", "-c"]', 'RUN curl -fsSL https://e.com/i.sh | sh'].join(
        '\n',
      ),
      'Dockerfile',
    );
    expect(safe.map((f) => [f.id, f.aliases])).toEqual([['PCS-BUILD-PIPE-TO-SHELL', undefined]]);
  });

  it('reports wget next to curl once per RUN that adds the second tool, per stage', () => {
    const found = analyzeDockerfile(
      [
        ...FINAL,
        'RUN wget -q https://e.com/a',
        'RUN curl -fsO https://e.com/b',
        'RUN wget -q https://e.com/c',
      ].join('\n'),
      'Dockerfile',
    ).filter((f) => f.id === 'DS014');
    expect(found.map((f) => f.location.line)).toEqual([5, 6]);
    expect(
      ids('FROM alpine:3.19 AS a', 'RUN wget -q https://e.com/a', ...FINAL, 'RUN curl -fsO https://e.com/b'),
    ).not.toContain('DS014');
  });
});

describe('parser features without false findings', () => {
  it('reads # syntax / # escape directives, ARG scoping before FROM, and heredocs', () => {
    expect(ids('# syntax=docker/dockerfile:1.7', ...FINAL)).toEqual([]);
    expect(
      ids(
        '# escape=`',
        'FROM alpine:3.19',
        'RUN echo a `',
        '  && echo b',
        'HEALTHCHECK CMD true',
        'USER app',
      ),
    ).toEqual([]);
    expect(ids('ARG TAG=3.19', 'FROM alpine:${TAG}', 'HEALTHCHECK CMD true', 'USER app')).toEqual([]);
    expect(ids('ARG TAG=latest', 'FROM alpine:${TAG}', 'HEALTHCHECK CMD true', 'USER app')).toEqual([
      'DS001',
    ]);
    // a global ARG is not visible inside a stage unless re-declared: the WORKDIR stays relative
    expect(ids('ARG DIR=/srv', ...FINAL, 'WORKDIR ${DIR}/app')).toEqual([]);
    expect(ids(...FINAL, 'COPY <<EOF /etc/app.conf', 'password_file=/run/secrets/db', 'EOF')).toEqual([]);
    expect(ids(...FINAL, 'RUN <<EOF', 'apk add --no-cache curl=8.5.0-r0', 'EOF')).toEqual([]);
    expect(ids(...FINAL, 'RUN <<EOF', 'apk add curl=8.5.0-r0', 'EOF')).toEqual(['DS025']);
  });

  it('checks ONBUILD like the instruction it carries, reported at the ONBUILD line', () => {
    const found = analyzeDockerfile([...FINAL, 'ONBUILD RUN sudo make install'].join('\n'), 'Dockerfile');
    expect(found.map((f) => [f.id, f.location.line])).toEqual([['DS010', 4]]);
    // the stage an ONBUILD COPY --from names belongs to the child build, so it is not judged here
    expect(ids(...FINAL, 'ONBUILD COPY --from=builder /a /a')).toEqual([]);
    expect(ids(...FINAL, 'ONBUILD ADD https://example.com/x /x')).toEqual(['PCS-BUILD-ADD-REMOTE-URL']);
    expect(ids(...FINAL, 'ONBUILD RUN make install')).toEqual([]);
  });
});

describe('secrets in RUN assignments', () => {
  it.each([
    'RUN SECRET_API_KEY=63AF7AA15067C05616FDDD88A3A2E8F226F0BC06 ./deploy.sh',
    'RUN export DB_PASSWORD="hunter2 again" && ./migrate',
    'RUN env GITHUB_TOKEN=ghp_abcdefghijklmnop make release',
  ])('reports %s without printing the value', (line) => {
    const found = analyzeDockerfile([...FINAL, line].join('\n'), 'Dockerfile').filter(
      (f) => f.id === 'PCS-BUILD-SECRET-ENV',
    );
    expect(found).toHaveLength(1);
    expect(found[0]?.aliases).toContain('CIS-DI-0010');
    expect(JSON.stringify(found)).not.toMatch(/63AF7AA1|hunter2|ghp_abcdef/);
  });

  it.each([
    'RUN SECRET_KEY_BASE=dummy bundle exec rails assets:precompile',
    'RUN TOKEN=$(cat /run/secrets/token) ./fetch',
    'RUN --mount=type=secret,id=npm NPM_TOKEN="$(cat /run/secrets/npm)" npm ci',
    'RUN PASSWORD_LENGTH=32 ./gen',
    "RUN echo 'secret=foo' > /etc/app.conf",
    'RUN HELLO="PASS=x" ./run',
  ])('does not report %s', (line) => {
    expect(ids(...FINAL, line)).not.toContain('PCS-BUILD-SECRET-ENV');
  });
});

describe('peer ids as exception handles', () => {
  it("lets a policy exception name hadolint's or dockle's id, and only on the hits that mean it", () => {
    const findings = analyzeDockerfile(
      [
        'FROM debian:12',
        'RUN apt-get update && apt-get install -y --no-install-recommends curl',
        'USER app',
      ].join('\n'),
      'Dockerfile',
    );
    const byDl = (id: string): string[] =>
      findings.filter((f) => isFindingMatch({ id, reason: 'accepted' }, f)).map((f) => f.id);
    expect(byDl('DL3008')).toEqual(['PCS-BUILD-PKG-UNPINNED']);
    expect(byDl('DKL-DI-0005')).toEqual(['PCS-BUILD-APT-LISTS-NOT-REMOVED']);
    expect(byDl('DL3018')).toEqual([]);
    // a missing USER is dockle's CIS-DI-0001 but not hadolint's DL3002 (an explicit root user only)
    const noUser = analyzeDockerfile('FROM debian:12\nHEALTHCHECK CMD true', 'Dockerfile');
    expect(
      noUser.filter((f) => isFindingMatch({ id: 'CIS-DI-0001', reason: 'r' }, f)).map((f) => f.id),
    ).toEqual(['DS002']);
    expect(noUser.filter((f) => isFindingMatch({ id: 'DL3002', reason: 'r' }, f))).toEqual([]);
  });
});

describe('VOLUME on host-sensitive directories', () => {
  it.each(['VOLUME /proc', 'VOLUME ["/dev/", "/data"]', 'VOLUME /data /sys'])('reports %s', (line) => {
    expect(ids(...FINAL, line)).toEqual(['PCS-BUILD-SENSITIVE-VOLUME']);
  });
  it.each(['VOLUME /data', 'VOLUME ["/proc/self"]', 'VOLUME /sysroot'])('passes %s', (line) => {
    expect(ids(...FINAL, line)).toEqual([]);
  });
});
