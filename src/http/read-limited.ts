/**
 * A body's bytes, read chunk by chunk, or undefined as soon as more than `limit` have arrived (the
 * rest is never read: leaving the loop early cancels the stream). `onChunk` sees each chunk's size
 * before it is kept, and may throw to stop the read.
 */
export async function readLimited(body: ReadableStream<Uint8Array> | null, limit: number, onChunk?: (bytes: number) => void): Promise<Uint8Array<ArrayBuffer> | undefined> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  if (body) {
    for await (const chunk of body) {
      total += chunk.byteLength;
      if (total > limit) return undefined;
      onChunk?.(chunk.byteLength);
      chunks.push(chunk);
    }
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  return out;
}
