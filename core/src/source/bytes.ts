import type { Readable } from 'node:stream';
import { PortcullisError } from '../errors.js';

/** Reads a whole stream into memory, failing with SOURCE_LIMIT_EXCEEDED past `max` bytes. */
export async function readBounded(stream: Readable, max: number, what: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of stream) {
      const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
      total += buf.length;
      if (total > max) {
        throw new PortcullisError('SOURCE_LIMIT_EXCEEDED', `${what} is larger than the ${max}-byte limit`);
      }
      chunks.push(buf);
    }
  } finally {
    if (!stream.destroyed) {
      stream.on('error', () => {}); // an abort of a stream we stopped reading is not news
      stream.destroy();
    }
  }
  return Buffer.concat(chunks);
}

/** Parses JSON bytes that must hold an object; SOURCE_MANIFEST_INVALID otherwise. */
export function parseJsonObject(data: Buffer, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(data.toString('utf8'));
  } catch (err) {
    throw new PortcullisError('SOURCE_MANIFEST_INVALID', `${what} is not valid JSON`, { cause: err });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new PortcullisError('SOURCE_MANIFEST_INVALID', `${what} is not a JSON object`);
  }
  return value as Record<string, unknown>;
}

/** Parses JSON bytes of any shape; SOURCE_MANIFEST_INVALID on syntax errors. */
export function parseJson(data: Buffer, what: string): unknown {
  try {
    return JSON.parse(data.toString('utf8'));
  } catch (err) {
    throw new PortcullisError('SOURCE_MANIFEST_INVALID', `${what} is not valid JSON`, { cause: err });
  }
}
