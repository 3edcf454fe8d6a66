import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openImage, parseImageInput } from '../../core/src/source/index.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'portcullis-open-'));
  await mkdir(join(dir, 'with:colon'));
  await writeFile(join(dir, 'img.tar'), '');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('parseImageInput', () => {
  it('reads transport prefixes, splitting a tag off the longest existing path', async () => {
    expect(await parseImageInput(`oci:${dir}/with:colon:v2`)).toEqual({
      kind: 'oci',
      path: `${dir}/with:colon`,
      tag: 'v2',
    });
    expect(await parseImageInput(`oci:${dir}/with:colon`)).toEqual({
      kind: 'oci',
      path: `${dir}/with:colon`,
    });
    expect(await parseImageInput(`docker-archive:${dir}/img.tar:app:1`)).toEqual({
      kind: 'docker-archive',
      path: `${dir}/img.tar`,
      selector: 'app:1',
    });
    expect(await parseImageInput('registry:127.0.0.1:5000/a/b:1')).toEqual({
      kind: 'registry',
      ref: '127.0.0.1:5000/a/b:1',
    });
  });

  it('sniffs existing paths and treats anything else as a reference', async () => {
    expect(await parseImageInput(join(dir, 'img.tar'))).toEqual({
      kind: 'archive',
      path: join(dir, 'img.tar'),
    });
    expect(await parseImageInput(dir)).toEqual({ kind: 'oci', path: dir });
    expect(await parseImageInput('nginx:1.25')).toEqual({ kind: 'registry', ref: 'nginx:1.25' });
  });

  it('reports missing paths as SOURCE_NOT_FOUND rather than as a registry lookup', async () => {
    await expect(parseImageInput(`${dir}/missing.tar`)).rejects.toMatchObject({ code: 'SOURCE_NOT_FOUND' });
    await expect(parseImageInput('./nothing/here')).rejects.toMatchObject({ code: 'SOURCE_NOT_FOUND' });
    await expect(parseImageInput(`oci-archive:${dir}/missing.tar:x`)).rejects.toMatchObject({
      code: 'SOURCE_NOT_FOUND',
    });
  });
});

describe('openImage input errors', () => {
  it('refuses an invalid reference before any network access', async () => {
    await expect(openImage('Not A Reference')).rejects.toMatchObject({ code: 'SOURCE_REFERENCE_INVALID' });
  });

  it('refuses an empty file as an archive', async () => {
    await expect(openImage(join(dir, 'img.tar'))).rejects.toMatchObject({ code: 'SOURCE_ARCHIVE_INVALID' });
  });

  it('refuses an invalid platform', async () => {
    await expect(openImage(dir, { platform: 'amd64' })).rejects.toMatchObject({
      code: 'SOURCE_REFERENCE_INVALID',
    });
  });
});
