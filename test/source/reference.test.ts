import { describe, expect, it } from 'vitest';
import { parseReference, parseRepository } from '../../core/src/source/index.js';

const DIGEST = 'sha256:' + 'ab'.repeat(32);

describe('parseReference', () => {
  describe('when the name has no registry host', () => {
    it.each([
      ['nginx', 'docker.io/library/nginx:latest', 'nginx:latest'],
      ['nginx:1.25', 'docker.io/library/nginx:1.25', 'nginx:1.25'],
      ['user/app', 'docker.io/user/app:latest', 'user/app:latest'],
      ['index.docker.io/library/ubuntu:22.04', 'docker.io/library/ubuntu:22.04', 'ubuntu:22.04'],
      ['docker.io/ubuntu', 'docker.io/library/ubuntu:latest', 'ubuntu:latest'],
    ])('normalises %s to %s', (input, full, familiar) => {
      const ref = parseReference(input);
      expect(ref.toString()).toBe(full);
      expect(ref.familiarName()).toBe(familiar);
      expect(ref.domain).toBe('docker.io');
      expect(ref.registryHost).toBe('registry-1.docker.io');
    });
  });

  describe('when the first component is a host', () => {
    it.each([
      ['127.0.0.1:5000/a/b', '127.0.0.1:5000', 'a/b'],
      ['localhost/app', 'localhost', 'app'],
      ['ghcr.io/org/tool:v1', 'ghcr.io', 'org/tool'],
      ['Registry/app', 'Registry', 'app'],
      ['[::1]:5000/app', '[::1]:5000', 'app'],
    ])('%s has domain %s', (input, domain, path) => {
      const ref = parseReference(input);
      expect(ref.domain).toBe(domain);
      expect(ref.path).toBe(path);
      expect(ref.registryHost).toBe(domain);
    });
  });

  it('keeps only the digest when a tag and a digest are given', () => {
    const ref = parseReference(`busybox:latest@${DIGEST}`);
    expect(ref.toString()).toBe(`docker.io/library/busybox@${DIGEST}`);
    expect(ref.tag).toBeUndefined();
    expect(ref.digest).toBe(DIGEST);
  });

  it('adds latest only when there is neither tag nor digest', () => {
    expect(parseReference(`127.0.0.1:5000/x@${DIGEST}`).tag).toBeUndefined();
    expect(parseReference('127.0.0.1:5000/x').tag).toBe('latest');
  });

  it.each([
    '',
    'UPPER',
    'a//b',
    'nginx:',
    'nginx@sha256:12',
    ':tag',
    'a/b:' + 't'.repeat(129),
    'x'.repeat(256),
    ' nginx',
  ])('refuses %j with SOURCE_REFERENCE_INVALID', (input) => {
    expect(() => parseReference(input)).toThrow(
      expect.objectContaining({ code: 'SOURCE_REFERENCE_INVALID' }),
    );
  });
});

describe('parseReference on admission images (was the webhook parser)', () => {
  it('normalises references like distribution/reference', () => {
    expect(parseReference('nginx').toString()).toBe('docker.io/library/nginx:latest');
    expect(parseReference('index.docker.io/foo/bar:1').toString()).toBe('docker.io/foo/bar:1');
    expect(parseReference('127.0.0.1:5000/fixtures/debian:multi')).toMatchObject({
      domain: '127.0.0.1:5000',
      path: 'fixtures/debian',
      tag: 'multi',
    });
    const d = `sha256:${'a'.repeat(64)}`;
    expect(parseReference(`busybox:latest@${d}`).toString()).toBe(`docker.io/library/busybox@${d}`);
    expect(() => parseReference('Not/Valid')).toThrow(/invalid image reference/);
    expect(() => parseReference('not-a-valid-image-tag:1.0.0+rc1')).toThrow(/bad tag/);
  });
});

describe('parseRepository', () => {
  it('accepts a bare repository and refuses a tagged one', () => {
    expect(parseRepository('127.0.0.1:5000/fixtures/debian').repository).toBe(
      '127.0.0.1:5000/fixtures/debian',
    );
    expect(() => parseRepository('127.0.0.1:5000/fixtures/debian:min')).toThrow(
      expect.objectContaining({ code: 'SOURCE_REFERENCE_INVALID' }),
    );
  });
});
