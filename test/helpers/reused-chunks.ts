/**
 * Feeds `content` to a streaming consumer in `size`-byte chunks the way the layer walker does with the
 * chunk pool (core/src/chunk-pool.ts): every chunk is a view of one buffer that is overwritten as soon as
 * `write` returns, so a consumer that keeps a view instead of copying reads garbage. Stops when the
 * consumer says so; returns the bytes fed.
 */
export function feedReused(
  sink: { write(chunk: Buffer): boolean | void },
  content: Buffer,
  size: number,
): number {
  let fed = 0;
  const scratch = Buffer.alloc(Math.max(1, Math.min(size, content.length)));
  for (let at = 0; at < content.length; at += size) {
    const part = content.subarray(at, at + size);
    part.copy(scratch);
    fed += part.length;
    const more = sink.write(scratch.subarray(0, part.length));
    scratch.fill(0xa5);
    if (more === false) break;
  }
  return fed;
}
