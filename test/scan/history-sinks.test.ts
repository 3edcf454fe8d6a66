// Issue 17: the secret and malware analyzers read files as they stream (a bounded window, never the
// whole image). Every file here is fed to the sink in chunks of several sizes — including 1 byte, so
// a binary sniff, a DER header or a keyword falls across chunk edges — and must give exactly what the
// buffered `analyze` gives for the whole file.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Analyzer, AnalysisResult } from '../../core/src/analyzers/analyzer.js';
import { createHashDb, createMalwareAnalyzer } from '../../core/src/analyzers/malware/index.js';
import { createSecretAnalyzer, SECRET_MAX_TEXT_SIZE } from '../../core/src/analyzers/secret/index.js';
import type { ImageFile } from '../../core/src/types/file.js';
import { FIXTURES } from '../helpers/env.js';

const LAYER = 'sha256:3333333333333333333333333333333333333333333333333333333333333333';
// two halves, so the checkout never holds the EICAR string (see the malware analyzer's tests)
const EICAR = Buffer.from('X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-' + 'ANTIVIRUS-TEST-FILE!$H+H*');
const AWS = 'aws_secret_access_key = "Zq8vT2mK9xLp4RwY7nB3cF6hJ1sD5gA0eUiOoPqW"\n';
const L2 = join(FIXTURES, 'malware', 'multi-l2');

function fileOf(path: string, content: Buffer, mode = 0o644): ImageFile {
  return {
    path,
    kind: 'file',
    mode,
    size: content.length,
    uid: 0,
    gid: 0,
    layerDigest: LAYER,
    layerIndex: 0,
    content,
  };
}

/** Feeds the file to the analyzer's sink in `chunk`-byte pieces, as the layer walker would. */
function streamed(a: Analyzer, file: ImageFile, chunk: number): AnalysisResult | undefined {
  const { content, ...header } = file;
  const sink = a.stream?.(header, {});
  if (!sink) throw new Error(`${a.name} has no stream sink`);
  const body = content as Buffer;
  for (let at = 0; at < body.length; at += chunk) {
    if (sink.write(body.subarray(at, at + chunk)) === false) break;
  }
  return sink.end();
}

const padding = (n: number, byte = 0x61): Buffer => Buffer.alloc(n, byte);

function cases(): ImageFile[] {
  const der = Buffer.concat([Buffer.from([0x30, 0x82, 0x01, 0x00]), padding(256, 0x41)]);
  const binaryLate = Buffer.concat([Buffer.from(AWS), padding(9000), Buffer.from([0]), Buffer.from(AWS)]);
  const binaryEarly = Buffer.concat([padding(100), Buffer.from([0]), Buffer.from(AWS)]);
  const large = Buffer.concat([Buffer.from(AWS), padding(SECRET_MAX_TEXT_SIZE)]);
  return [
    fileOf('/app/.env', Buffer.from(`A=1\n${AWS}B=2\n`)),
    // a NUL past the sniffed bytes: still text, the key after it is found
    fileOf('/app/late.txt', binaryLate),
    // a NUL in the first bytes: binary, no content rule runs
    fileOf('/app/early.txt', binaryEarly),
    // larger than the text cap: only path rules
    fileOf('/app/big.txt', large),
    fileOf('/root/cert.p12', der),
    fileOf('/root/junk.p12', padding(300)),
    fileOf('/root/empty.p12', Buffer.alloc(0)),
    fileOf('/opt/miner/eicar.com', EICAR),
    fileOf('/opt/miner/config.json', readFileSync(join(L2, 'opt', 'miner', 'config.json'))),
    fileOf('/usr/local/bin/tool', Buffer.concat([padding(5000), EICAR]), 0o755),
  ];
}

describe('streamed secret and malware analysis equals the buffered analysis', () => {
  const big = Buffer.concat([padding(3 * 1024 * 1024, 0x5a), EICAR]);
  const malware = createMalwareAnalyzer({
    hashDb: createHashDb([
      {
        algorithm: 'sha256',
        hash: createHash('sha256').update(EICAR).digest('hex'),
        size: EICAR.length,
        name: 'Eicar-Test-Signature',
      },
      // larger than any string rule reads: found by the digest computed chunk by chunk
      { algorithm: 'md5', hash: createHash('md5').update(big).digest('hex'), size: big.length, name: 'Big' },
    ]),
  });
  const analyzers = [createSecretAnalyzer(), malware];
  const files = [...cases(), fileOf('/srv/big.bin', big)];

  for (const a of analyzers) {
    for (const file of files) {
      it(`${a.name} on ${file.path}`, async () => {
        if (!a.required(file.path, file)) return;
        const buffered = await a.analyze?.(file, {});
        for (const chunk of [1, 7, 4096, 65536]) expect(streamed(a, file, chunk)).toEqual(buffered);
      });
    }
  }

  it('the cases are not trivial: findings on both sides, hash hits among them', async () => {
    const ids = new Set<string>();
    for (const a of analyzers)
      for (const file of files)
        if (a.required(file.path, file))
          for (const f of streamed(a, file, 7)?.findings ?? []) ids.add(`${file.path} ${f.id}`);
    expect([...ids].sort()).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^\/app\/\.env PCS-SECRET-AWS/),
        expect.stringMatching(/^\/app\/late\.txt PCS-SECRET-AWS/),
        '/srv/big.bin PCS-MALWARE-KNOWN-HASH',
        expect.stringMatching(/^\/opt\/miner\/eicar\.com PCS-MALWARE-EICAR/),
        expect.stringMatching(/^\/opt\/miner\/config\.json PCS-MALWARE-XMRIG/),
      ]),
    );
    expect([...ids].some((id) => id.startsWith('/app/early.txt PCS-SECRET-AWS'))).toBe(false);
    expect([...ids].some((id) => id.startsWith('/root/junk.p12'))).toBe(false);
    expect([...ids].some((id) => id.startsWith('/root/cert.p12'))).toBe(true);
  });

  it('a binary stops the secret sink after the sniff; a text file is read to its end', () => {
    const secret = createSecretAnalyzer();
    const binary = fileOf(
      '/app/early.txt',
      Buffer.concat([padding(100), Buffer.from([0]), padding(100_000)]),
    );
    const { content: _b, ...binaryHeader } = binary;
    const sink = secret.stream?.(binaryHeader, {});
    expect(sink?.write(padding(100))).not.toBe(false);
    expect(sink?.write(Buffer.from([0]))).toBe(false);
    const text = fileOf('/app/text.txt', padding(100_000));
    const { content: _t, ...textHeader } = text;
    const textSink = secret.stream?.(textHeader, {});
    expect(textSink?.write(padding(50_000))).not.toBe(false);
  });

  it('hidden wording is applied once the merge settles the status, as analyze gives it for a hidden file', async () => {
    for (const a of analyzers) {
      const file = files.find((f) => f.path === (a.name === 'secret' ? '/app/.env' : '/opt/miner/eicar.com'));
      const hidden = { ...(file as ImageFile), hidden: 'deleted' as const };
      const expected = (await a.analyze?.(hidden, {}))?.findings ?? [];
      const visible = streamed(a, file as ImageFile, 7)?.findings ?? [];
      expect(expected.length).toBeGreaterThan(0);
      expect(visible.every((f) => !f.hidden)).toBe(true);
      expect(visible.map((f) => a.toHiddenFinding?.(f, hidden))).toEqual(expected);
    }
  });
});
