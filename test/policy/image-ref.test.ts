// How references and scope globs are normalised decides which images an exception's `images:` /
// `repositories:` reach: a wrong normalisation widens or narrows a whitelist silently. Table-driven, every
// case the exact parts (no stray `tag`/`digest` key), written against the surviving mutants of image-ref.ts.
import { describe, expect, it } from 'vitest';
import { isEveryImageGlob, toImageGlob, toImageRefParts } from '../../core/src/policy/image-ref.js';

describe('toImageRefParts', () => {
  const cases: [string, ReturnType<typeof toImageRefParts>][] = [
    [
      'nginx',
      { ref: 'docker.io/library/nginx', registry: 'docker.io', repository: 'docker.io/library/nginx' },
    ],
    [
      '  nginx:1.25  ',
      {
        ref: 'docker.io/library/nginx:1.25',
        registry: 'docker.io',
        repository: 'docker.io/library/nginx',
        tag: '1.25',
      },
    ],
    [
      'library/nginx',
      { ref: 'docker.io/library/nginx', registry: 'docker.io', repository: 'docker.io/library/nginx' },
    ],
    ['team/app', { ref: 'docker.io/team/app', registry: 'docker.io', repository: 'docker.io/team/app' }],
    [
      'foo/bar/baz',
      { ref: 'docker.io/foo/bar/baz', registry: 'docker.io', repository: 'docker.io/foo/bar/baz' },
    ],
    [
      'docker.io/nginx',
      { ref: 'docker.io/library/nginx', registry: 'docker.io', repository: 'docker.io/library/nginx' },
    ],
    [
      'index.docker.io/nginx',
      { ref: 'docker.io/library/nginx', registry: 'docker.io', repository: 'docker.io/library/nginx' },
    ],
    [
      'registry-1.docker.io/team/app:2',
      { ref: 'docker.io/team/app:2', registry: 'docker.io', repository: 'docker.io/team/app', tag: '2' },
    ],
    ['ghcr.io/nginx', { ref: 'ghcr.io/nginx', registry: 'ghcr.io', repository: 'ghcr.io/nginx' }],
    ['localhost/app', { ref: 'localhost/app', registry: 'localhost', repository: 'localhost/app' }],
    [
      '127.0.0.1:5000/fixtures/debian',
      {
        ref: '127.0.0.1:5000/fixtures/debian',
        registry: '127.0.0.1:5000',
        repository: '127.0.0.1:5000/fixtures/debian',
      },
    ],
    [
      'registry:localhost:5000/a/b:t@sha256:abc',
      {
        ref: 'localhost:5000/a/b:t@sha256:abc',
        registry: 'localhost:5000',
        repository: 'localhost:5000/a/b',
        tag: 't',
        digest: 'sha256:abc',
      },
    ],
    [
      'docker://ghcr.io/a/b@sha256:abc',
      {
        ref: 'ghcr.io/a/b@sha256:abc',
        registry: 'ghcr.io',
        repository: 'ghcr.io/a/b',
        digest: 'sha256:abc',
      },
    ],
  ];
  it.each(cases)('%s', (input, parts) => {
    expect(toImageRefParts(input)).toStrictEqual(parts);
  });

  it.each([
    'oci:/tmp/layout:app',
    'oci-archive:/tmp/a.tar',
    'docker-archive:img.tar',
    'dir:/tmp/d',
    'docker-daemon:nginx:1',
    '/tmp/img.tar',
    './img.tar',
  ])('keeps the local source %s as given, with no registry', (input) => {
    expect(toImageRefParts(input)).toStrictEqual({ ref: input, registry: '', repository: input });
  });
});

describe('isEveryImageGlob', () => {
  it.each(['*', '**', '***', '**/*', '*/**'])('%s matches every image', (g) => {
    expect(isEveryImageGlob(g)).toBe(true);
  });
  it.each(['', '*/*', '/*', 'a*', '**a', 'docker.io/**'])('%s does not', (g) => {
    expect(isEveryImageGlob(g)).toBe(false);
  });
});

describe('toImageGlob', () => {
  it.each([
    ['*', '**'],
    ['***', '**'],
    ['nginx*', 'docker.io/library/nginx*'],
    ['ngin?', 'docker.io/library/ngin?'],
    ['team/*', 'docker.io/team/*'],
    ['docker.io/nginx', 'docker.io/library/nginx'],
    ['index.docker.io/team/*', 'docker.io/team/*'],
    ['registry-1.docker.io/a/b', 'docker.io/a/b'],
    ['ghcr.io/team/*', 'ghcr.io/team/*'],
    ['localhost/app*', 'localhost/app*'],
  ])('normalises %s to %s', (glob, expected) => {
    expect(toImageGlob(glob)).toBe(expected);
  });

  it.each([
    '**/x',
    '?ginx',
    '[ab]c',
    'team?/app',
    '*.example.com/a',
    'reg?.example.com/a',
    'oci:/tmp/x',
    '/abs/path',
    './rel',
    '.img.tar',
  ])('keeps %s as written (a wildcard in the registry position, or a local source)', (glob) => {
    expect(toImageGlob(glob)).toBe(glob);
  });
});
