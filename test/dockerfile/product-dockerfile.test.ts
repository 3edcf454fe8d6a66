// Issue 11 item 13: the product's own container image. Our own `portcullis dockerfile` passes it with no finding
// above low; every base is pinned by digest; the final stage runs as non-root with no package manager.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_MANIFEST_OPTIONS } from '../../webhook/src/manifests.js';
import { portcullis } from '../e2e/helpers.js';
import { ROOT } from '../helpers/env.js';

const DOCKERFILE = join(ROOT, 'Dockerfile');
const text = readFileSync(DOCKERFILE, 'utf8');
const stages = text.split(/^FROM /m).slice(1);

describe('the Portcullis Dockerfile', () => {
  it('has no finding above low under `portcullis dockerfile`', async () => {
    const run = await portcullis(['dockerfile', DOCKERFILE, '--format', 'json']);
    const report = JSON.parse(run.stdout) as {
      findings: { id: string; severity: string }[];
      verdict: { decision: string };
    };
    const aboveLow = report.findings.filter((f) => ['critical', 'high', 'medium'].includes(f.severity));
    expect(aboveLow).toEqual([]);
    expect(report.verdict.decision).toBe('allow');
    expect(run.code).toBe(0);
  });

  it('is multi-stage with every base pinned by digest', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const s of stages) expect(s.split('\n')[0]).toMatch(/^\S+@sha256:[a-f0-9]{64}( AS \w+)?$/);
  });

  it('runs the final stage as non-root, without a shell or package manager in it', () => {
    const final = stages.at(-1) as string;
    expect(final).toMatch(/^gcr\.io\/distroless\//);
    expect(final).toMatch(/^USER 65532:65532$/m);
    expect(final).not.toMatch(/^RUN /m);
    expect(final).not.toMatch(/apt-get|apk add|\bnpm (ci|install)\b/);
    expect(final).toMatch(/^ENTRYPOINT \["\/nodejs\/bin\/node", "\/app\/bin\/portcullis\.js"\]$/m);
  });

  it('is the image the manifests deploy, as README says how to build it', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    expect(text).toContain(`docker build -t ${DEFAULT_MANIFEST_OPTIONS.image} .`);
    expect(readme).toContain(`docker build -t ${DEFAULT_MANIFEST_OPTIONS.image} .`);
  });
});
