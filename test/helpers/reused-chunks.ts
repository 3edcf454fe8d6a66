/**
 * Feeds `content` to a streaming consumer in `size`-byte chunks the way the layer walker does with the
 * chunk pool (core/src/chunk-pool.ts): a chunk's memory is reused once the parser has finished it, so by
 * the next `write` the previous chunk holds garbage (0xa5 here). A consumer that keeps a view of an earlier
 * chunk instead of a copy reads that garbage. The last chunk stays intact for `end`, which the walker calls
 * before it finishes that chunk. Stops when the consumer says so; returns the bytes fed.
 */
export function feedReused(
  sink: { write(chunk: Buffer): boolean | void },
  content: Buffer,
  size: number,
): number {
  let fed = 0;
  const scratch = [0, 1].map(() => Buffer.alloc(Math.max(1, Math.min(size, content.length))));
  for (let at = 0, k = 0; at < content.length; at += size, k++) {
    const part = content.subarray(at, at + size);
    const buffer = scratch[k % 2] as Buffer;
    (scratch[(k + 1) % 2] as Buffer).fill(0xa5); // the previous chunk, reused
    part.copy(buffer);
    fed += part.length;
    if (sink.write(buffer.subarray(0, part.length)) === false) break;
  }
  return fed;
}
