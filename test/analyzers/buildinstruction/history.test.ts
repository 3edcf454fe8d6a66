import { describe, expect, it } from 'vitest';
import {
  analyzeHistory,
  buildInstructionAnalyzer,
  parseCreatedBy,
} from '../../../core/src/analyzers/buildinstruction/index.js';
import type { ImageContext } from '../../../core/src/analyzers/analyzer.js';
import type { HistoryEntry, LayerInfo } from '../../../core/src/types/image.js';

describe('parseCreatedBy', () => {
  it.each([
    ['/bin/sh -c #(nop)  ENV PATH=/usr/bin', { kind: 'instruction', text: 'ENV PATH=/usr/bin' }],
    ['/bin/sh -c apt-get update', { kind: 'run', script: 'apt-get update', buildArgs: [] }],
    ['RUN /bin/sh -c apk add curl # buildkit', { kind: 'run', script: 'apk add curl', buildArgs: [] }],
    [
      'RUN |2 NPM_TOKEN=abc VERSION="1 2" /bin/sh -c npm ci # buildkit',
      {
        kind: 'run',
        script: 'npm ci',
        buildArgs: [
          { key: 'NPM_TOKEN', value: 'abc' },
          { key: 'VERSION', value: '1 2' },
        ],
      },
    ],
    ['RUN curl -fsSL http://x | sh', { kind: 'run', script: 'curl -fsSL http://x | sh', buildArgs: [] }],
    ['EXPOSE map[22/tcp:{}]', { kind: 'instruction', text: 'EXPOSE map[22/tcp:{}]' }],
    ['umoci raw add-layer', { kind: 'unknown', text: 'umoci raw add-layer' }],
  ])('reads %s', (createdBy, expected) => {
    expect(parseCreatedBy(createdBy)).toEqual(expected);
  });
});

describe('analyzeHistory', () => {
  const history: HistoryEntry[] = [
    { created_by: '/bin/sh -c #(nop) ADD file:3a1b2c in / ' },
    { created_by: '/bin/sh -c #(nop)  CMD ["bash"]', empty_layer: true },
    { created_by: 'RUN |1 NPM_TOKEN=npm_sup3rsecretvalue /bin/sh -c npm ci # buildkit' },
    { created_by: 'ENV DB_PASSWORD=pa55w0rd-not-real', comment: 'buildkit.dockerfile.v0', empty_layer: true },
    { created_by: 'EXPOSE map[22/tcp:{} 80/tcp:{}]', empty_layer: true },
    { created_by: 'ADD https://example.com/tool.tgz /opt/ # buildkit' },
    { created_by: '/bin/sh -c curl -fsSL https://get.example.com | sudo sh && chmod 777 /opt' },
    { created_by: 'WORKDIR /app', empty_layer: true },
  ];
  const layers: LayerInfo[] = ['sha256:aa', 'sha256:bb', 'sha256:cc', 'sha256:dd'].map((digest) => ({
    digest,
  }));
  const findings = analyzeHistory(history, layers);

  it('finds the command-level risks with history locations and layer digests', () => {
    expect(findings.map((f) => [f.id, f.location.source, f.location.layerDigest])).toEqual([
      ['PCS-BUILD-SECRET-ARG', 'history[2].created_by', 'sha256:bb'],
      ['PCS-BUILD-SECRET-ENV', 'history[3].created_by', undefined],
      ['DS004', 'history[4].created_by', undefined],
      ['PCS-BUILD-ADD-REMOTE-URL', 'history[5].created_by', 'sha256:cc'],
      ['PCS-BUILD-PIPE-TO-SHELL', 'history[6].created_by', 'sha256:dd'],
      ['DS010', 'history[6].created_by', 'sha256:dd'],
      ['PCS-BUILD-CHMOD-WORLD-WRITABLE', 'history[6].created_by', 'sha256:dd'],
    ]);
    expect(findings.every((f) => f.type === 'build-instruction')).toBe(true);
  });

  it('redacts build-arg and ENV secret values', () => {
    const json = JSON.stringify(findings);
    expect(json).not.toContain('npm_sup3rsecretvalue');
    expect(json).not.toContain('pa55w0rd-not-real');
    expect(findings[0]?.evidence).toBe('NPM_TOKEN=****');
  });

  it('does not apply Dockerfile-only rules (DS005 on the base rootfs ADD, DS013 cd)', () => {
    const f = analyzeHistory([
      { created_by: '/bin/sh -c #(nop) ADD file:abc in /' },
      { created_by: '/bin/sh -c cd /x && make' },
    ]);
    expect(f).toEqual([]);
  });

  it('accepts a missing history', () => {
    expect(analyzeHistory(undefined)).toEqual([]);
  });
});

describe('buildInstructionAnalyzer', () => {
  it('buffers no files and analyzes the history of the image config', async () => {
    expect(buildInstructionAnalyzer.scanner).toBe('buildinstruction');
    expect(
      buildInstructionAnalyzer.required('/etc/passwd', {
        path: '/etc/passwd',
        kind: 'file',
        mode: 0o644,
        size: 1,
        uid: 0,
        gid: 0,
      }),
    ).toBe(false);
    const ctx: ImageContext = {
      image: {
        ref: 'test',
        configDigest: 'sha256:00',
        config: { history: [{ created_by: 'RUN curl -fsSL http://get.example.com/i.sh | sh' }] },
        layers: [{ digest: 'sha256:l1' }],
      },
      files: new Map(),
      hidden: [],
      options: {},
    };
    const result = await buildInstructionAnalyzer.analyzeImage?.(ctx);
    expect(result?.findings?.map((f) => [f.id, f.location.layerDigest])).toEqual([
      ['PCS-BUILD-PIPE-TO-SHELL', 'sha256:l1'],
    ]);
  });
});
