import { describe, expect, it } from 'vitest';
import { renderCycloneDx, renderSbom } from '../../core/src/report/index.js';
import { createValidators, evaluateWithExceptions, options, readMultiScan } from './helpers.js';

interface Bom {
  metadata: { component: { properties: { name: string; value: string }[] } };
  components: { type: string; purl?: string }[];
  vulnerabilities?: unknown[];
}

const scan = readMultiScan();
const validators = createValidators();

describe('renderSbom', () => {
  const bom = JSON.parse(renderSbom(scan, options())) as Bom;

  it('is a CycloneDX 1.6 BOM that validates', () => {
    expect(validators.cyclonedx(bom)).toBe(true);
    expect(validators.cyclonedx.errors ?? []).toEqual([]);
  });

  it('carries no verdict, policy or vulnerabilities: an inventory is not a judgement', () => {
    const names = bom.metadata.component.properties.map((p) => p.name);
    expect(names.filter((n) => n.startsWith('portcullis:verdict'))).toEqual([]);
    expect(names.filter((n) => n.startsWith('portcullis:policy'))).toEqual([]);
    expect(bom.vulnerabilities).toBeUndefined();
  });

  it('holds the same inventory as the scan report BOM', () => {
    const full = JSON.parse(renderCycloneDx(scan, evaluateWithExceptions(scan), options())) as Bom;
    const libraries = (b: Bom): string[] =>
      b.components
        .filter((c) => c.type === 'library')
        .map((c) => c.purl ?? '')
        .sort();
    const fullVulnPurls = new Set(scan.packages.map((p) => p.purl));
    // the scan BOM may add components for vulnerable packages missing from the inventory; the SBOM never does
    expect(libraries(bom)).toEqual(libraries(full).filter((p) => fullVulnPurls.has(p)));
    expect(libraries(bom)).toHaveLength(scan.packages.length);
    const names = full.metadata.component.properties.map((p) => p.name);
    expect(names).toContain('portcullis:verdict:decision'); // scan --format cyclonedx keeps the verdict
  });
});
