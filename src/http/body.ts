// One bounded body reader for everything the gateway reads whole: MCP request bodies, OAuth forms and
// JSON, and documents it fetches (CIMD). A declared Content-Length over the limit is refused unread; a
// body without one is read chunk by chunk and abandoned as soon as it passes the limit.

export class BodyTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`the body exceeds ${limit} bytes`);
    this.name = "BodyTooLargeError";
  }
}

/**
 * `onChunk` sees the size of each chunk of a streamed body before it is kept, and may throw to stop the
 * read (the gateway-wide budget of bodies in flight, src/http/in-flight-bytes.ts).
 */
export async function readBodyWithin(source: Request | Response, limit: number, onChunk?: (bytes: number) => void): Promise<Uint8Array<ArrayBuffer>> {
  const declared = source.headers.get("content-length");
  // Written so that a malformed length (NaN) is refused too.
  if (declared !== null && !(Number(declared) >= 0 && Number(declared) <= limit)) throw new BodyTooLargeError(limit);
  let bytes: Uint8Array<ArrayBuffer>;
  // A request's framing ends its body at Content-Length, so reading it whole is bounded (and cheaper).
  // A fetched response may be decompressed beyond its declared length: it is always counted.
  if (declared !== null && source instanceof Request) bytes = await source.bytes();
  else bytes = await readStreamWithin(source.body, limit, onChunk);
  if (bytes.byteLength > limit) throw new BodyTooLargeError(limit);
  return bytes;
}

async function readStreamWithin(body: ReadableStream<Uint8Array> | null, limit: number, onChunk: ((bytes: number) => void) | undefined): Promise<Uint8Array<ArrayBuffer>> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  if (body) {
    // Leaving the loop early (the throw) cancels the stream, so the rest is never read.
    for await (const chunk of body) {
      total += chunk.byteLength;
      if (total > limit) throw new BodyTooLargeError(limit);
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
