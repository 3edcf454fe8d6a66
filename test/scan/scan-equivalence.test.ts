import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Analyzer, AnalysisResult } from '../../core/src/analyzers/analyzer.js';
import { createAnalyzers } from '../../core/src/analyzers/index.js';
import { mergeLayers } from '../../core/src/layers/index.js';
import { ALL_SCANNERS, createScanHooks, readImageLayers, scan } from '../../core/src/scan/index.js';
import { openImage } from '../../core/src/source/index.js';
import type { Finding } from '../../core/src/types/finding.js';
import type { OsInfo, Package } from '../../core/src/types/package.js';
import { NO_IMAGES_REASON, TEST_IMAGES, haveTestImages, skipReason } from '../helpers/env.js';

const IMAGE = `oci-archive:${join(TEST_IMAGES, 'oci-multi.tar')}`;

/**
 * The scan as it was before streaming: buffer every required file of every layer, merge, then hand
 * each visible file to every analyzer and each hidden file to the history analyzers (whole files only,
 * `analyze`, never `stream`). The streaming scan must find exactly the same.
 */
async function bufferedReference(): Promise<{ packages: Package[]; findings: Finding[] }> {
  const analyzers = await createAnalyzers();
  const source = await openImage(IMAGE);
  try {
    const layers = await readImageLayers(source, analyzers, {});
    const view = mergeLayers(layers);
    const results: { path: string; r: AnalysisResult | undefined }[] = [];
    const run = async (a: Analyzer, file: Parameters<NonNullable<Analyzer['analyze']>>[0]) =>
      results.push({ path: file.path, r: await a.analyze?.(file, {}) });
    for (const file of view.files.values()) {
      if (file.kind !== 'file' || file.content === undefined) continue;
      for (const a of analyzers) if (a.analyze && a.required(file.path, file)) await run(a, file);
    }
    for (const file of view.hidden) {
      if (file.content === undefined) continue;
      for (const a of analyzers)
        if (a.analyze && a.history && a.required(file.path, file)) await run(a, file);
    }
    const hooks = createScanHooks({});
    const candidates: { path: string; os: OsInfo }[] = [];
    for (const { path, r } of results) if (r?.os) candidates.push({ path, os: r.os });
    const os = hooks.detectOs(candidates);
    const packages = results.flatMap(({ r }) => r?.packages ?? []);
    const findings = results.flatMap(({ r }) => r?.findings ?? []);
    const ctx = {
      image: source.meta,
      files: view.files,
      hidden: view.hidden,
      options: {},
      ...(os ? { os } : {}),
    };
    for (const a of analyzers) {
      const r = await a.analyzeImage?.(ctx);
      packages.push(...(r?.packages ?? []));
      findings.push(...(r?.findings ?? []));
    }
    return { packages: hooks.applyOs(packages, os), findings };
  } finally {
    await source.close();
  }
}

const packageKeys = (ps: Package[]) => ps.map((p) => `${p.purl} ${p.path} ${p.layerDigest}`).sort();
const findingKeys = (fs: Finding[]) =>
  fs
    .filter((f) => f.type !== 'vulnerability')
    .map(
      (f) =>
        `${f.id} ${f.location.path ?? f.location.source ?? ''} ${f.location.layerDigest ?? ''} ${f.hidden ?? false}`,
    )
    .sort();

describe.skipIf(!haveTestImages && skipReason(NO_IMAGES_REASON))('scan (streaming) on oci-multi.tar', () => {
  it('finds the same packages and findings as the buffered reference', async () => {
    const [streamed, reference] = await Promise.all([
      scan(IMAGE, { scanners: ALL_SCANNERS.filter((s) => s !== 'vuln') }),
      bufferedReference(),
    ]);
    expect(packageKeys(streamed.packages)).toEqual(packageKeys(reference.packages));
    expect(findingKeys(streamed.findings)).toEqual(findingKeys(reference.findings));
    // the hidden-file findings keep the analyzers' own wording (they saw `hidden` when they ran)
    const hidden = (fs: Finding[]) =>
      fs
        .filter((f) => f.hidden)
        .map((f) => `${f.id} ${f.description}`)
        .sort();
    expect(hidden(streamed.findings)).toEqual(hidden(reference.findings));
  }, 120_000);

  it('keeps the expected inventory and risk findings', async () => {
    const result = await scan(IMAGE, { scanners: ALL_SCANNERS.filter((s) => s !== 'vuln') });
    const by = (type: string) => result.packages.filter((p) => p.type === type);
    expect(by('dpkg')).toHaveLength(88);
    const app = result.packages
      .filter((p) => p.type !== 'dpkg')
      .map((p) => `${p.name}@${p.version}`)
      .sort();
    expect(app).toEqual([
      'lodash@4.17.15',
      'requests@2.28.1',
      'smallvec@1.6.0',
      'stdlib@1.19.8',
      'time@0.1.43',
      'urllib3@1.26.12',
    ]);
    // rule ids belong to the analyzers; match them loosely so a renamed id does not read as a lost finding
    const ids = result.findings.map((f) => `${f.type} ${f.id}`);
    for (const pattern of [
      /^sensitive-file .*private-key/i,
      /^sensitive-file .*alibaba/i,
      /^sensitive-file .*dotenv/i,
      /^malicious-sample .*eicar/i,
      /^malicious-sample .*xmrig/i,
      /^build-instruction .*pipe-to-shell/i,
    ])
      expect(
        ids.some((id) => pattern.test(id)),
        String(pattern),
      ).toBe(true);
    // the Go binary is streamed, not buffered: no note about its size or parsing
    expect(result.notes.filter((n) => n.path === '/usr/local/bin/registry')).toEqual([]);
  }, 120_000);

  it('gives the same inventory for sbom (inventory analyzers only)', async () => {
    const [sbom, full] = await Promise.all([
      scan(IMAGE, { scanners: [] }),
      scan(IMAGE, { scanners: ALL_SCANNERS.filter((s) => s !== 'vuln') }),
    ]);
    expect(packageKeys(sbom.packages)).toEqual(packageKeys(full.packages));
    expect(sbom.findings).toEqual([]);
  }, 120_000);
});
