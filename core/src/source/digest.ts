import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { PortcullisError } from '../errors.js';

/** Content digest split into algorithm and hex (`sha256:abc…`). */
export interface ParsedDigest {
  algorithm: 'sha256' | 'sha512';
  hex: string;
}

const HEX_LENGTH = { sha256: 64, sha512: 128 } as const;

/** True for `sha256:<64 hex>` / `sha512:<128 hex>`, the digests we can verify. */
export function isDigest(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  const m = /^(sha256|sha512):([a-f0-9]+)$/.exec(value);
  return m !== null && m[2]!.length === HEX_LENGTH[m[1] as 'sha256' | 'sha512'];
}

/** Parses a verifiable digest; SOURCE_MANIFEST_INVALID otherwise (digests come from manifests). */
export function parseDigest(value: unknown, where = 'digest'): ParsedDigest {
  if (!isDigest(value)) {
    throw new PortcullisError(
      'SOURCE_MANIFEST_INVALID',
      `${where}: ${JSON.stringify(value)} is not a sha256/sha512 digest`,
    );
  }
  const [algorithm, hex] = value.split(':') as ['sha256' | 'sha512', string];
  return { algorithm, hex };
}

/** `sha256:<hex>` of some bytes. */
export function computeDigest(data: Buffer | string, algorithm: 'sha256' | 'sha512' = 'sha256'): string {
  return `${algorithm}:${createHash(algorithm).update(data).digest('hex')}`;
}

/** Throws SOURCE_DIGEST_MISMATCH unless `data` hashes to `expected`. */
export function assertDigest(data: Buffer, expected: string, what: string): void {
  const { algorithm } = parseDigest(expected, what);
  const actual = computeDigest(data, algorithm);
  if (actual !== expected) {
    throw new PortcullisError(
      'SOURCE_DIGEST_MISMATCH',
      `${what}: content is ${actual}, expected ${expected}`,
    );
  }
}

/** Progress of one blob being read. */
export interface BlobProgress {
  digest: string;
  bytes: number;
  total?: number;
  done: boolean;
}

/**
 * A pass-through stream that hashes what flows through it and fails with SOURCE_DIGEST_MISMATCH at the
 * end (or as soon as more than `size` bytes arrive) when the bytes are not the expected blob.
 */
export function createDigestVerifier(
  expected: string,
  options: { size?: number; what?: string; onProgress?: (p: BlobProgress) => void } = {},
): Transform {
  const { algorithm } = parseDigest(expected, options.what ?? 'blob');
  const hash: Hash = createHash(algorithm);
  const what = options.what ?? `blob ${expected}`;
  let bytes = 0;
  const report = (done: boolean): void => {
    if (!options.onProgress) return;
    const p: BlobProgress = { digest: expected, bytes, done };
    if (options.size !== undefined) p.total = options.size;
    options.onProgress(p);
  };
  return new Transform({
    transform(chunk: Buffer, _enc, cb: TransformCallback) {
      bytes += chunk.length;
      if (options.size !== undefined && bytes > options.size) {
        cb(
          new PortcullisError(
            'SOURCE_DIGEST_MISMATCH',
            `${what}: more than the ${options.size} bytes its descriptor names`,
          ),
        );
        return;
      }
      hash.update(chunk);
      report(false);
      cb(null, chunk);
    },
    flush(cb: TransformCallback) {
      const actual = `${algorithm}:${hash.digest('hex')}`;
      if (actual !== expected) {
        cb(
          new PortcullisError(
            'SOURCE_DIGEST_MISMATCH',
            `${what}: content is ${actual}, expected ${expected}`,
          ),
        );
        return;
      }
      if (options.size !== undefined && bytes !== options.size) {
        cb(
          new PortcullisError('SOURCE_DIGEST_MISMATCH', `${what}: ${bytes} bytes, expected ${options.size}`),
        );
        return;
      }
      report(true);
      cb();
    },
  });
}
