import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { scan } from '../../../core/src/scan/index.js';
import { FIXTURES } from '../../helpers/env.js';
import { makeTar } from '../../helpers/tar.js';

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A docker-save archive whose second layer deletes the key the first layer added. */
async function writeDeletedKeyImage(): Promise<string> {
  const key = readFileSync(join(FIXTURES, 'secrets', 'multi-l2', 'root', '.ssh', 'id_rsa'));
  const layer1 = await makeTar([
    { name: 'root/', type: 'directory', mode: 0o700 },
    { name: 'root/.ssh/', type: 'directory', mode: 0o700 },
    { name: 'root/.ssh/id_rsa', mode: 0o600, data: key },
  ]);
  const layer2 = await makeTar([
    { name: 'root/', type: 'directory', mode: 0o700 },
    { name: 'root/.ssh/', type: 'directory', mode: 0o700 },
    { name: 'root/.ssh/.wh.id_rsa' },
  ]);
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: { Env: ['PATH=/usr/bin'] },
      rootfs: { type: 'layers', diff_ids: [`sha256:${sha256(layer1)}`, `sha256:${sha256(layer2)}`] },
      history: [{ created_by: 'COPY id_rsa /root/.ssh/id_rsa' }, { created_by: 'RUN rm /root/.ssh/id_rsa' }],
    }),
  );
  const configName = `${sha256(config)}.json`;
  const manifest = Buffer.from(
    JSON.stringify([
      { Config: configName, RepoTags: ['test/deleted-key:1'], Layers: ['l1/layer.tar', 'l2/layer.tar'] },
    ]),
  );
  const archive = await makeTar([
    { name: configName, data: config },
    { name: 'l1/layer.tar', data: layer1 },
    { name: 'l2/layer.tar', data: layer2 },
    { name: 'manifest.json', data: manifest },
  ]);
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-deleted-key-'));
  dirs.push(dir);
  const path = join(dir, 'image.tar');
  writeFileSync(path, archive);
  return path;
}

describe('a key deleted by a later layer', () => {
  it('is still reported, hidden, with the layer it lives in', async () => {
    const result = await scan(`docker-archive:${await writeDeletedKeyImage()}`, { scanners: ['secret'] });
    const keys = result.findings.filter((f) => f.id === 'PCS-SECRET-PRIVATE-KEY');
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatchObject({
      hidden: true,
      location: { path: '/root/.ssh/id_rsa', line: 1, layerDigest: result.image.layers[0]?.digest },
    });
    expect(JSON.stringify(result)).not.toContain('MIIEpAIBAAKCAQEAfakefake');
  });
});
