import { readBodyWithin } from "../http/body.ts";
import type { RequestBody } from "./context.ts";

const utf8 = new TextDecoder();

/** The request body, bounded by `limit` (BodyTooLargeError past it), and its JSON if it is JSON. */
export async function readRequestBody(request: Request, limit: number): Promise<RequestBody> {
  const bytes = await readBodyWithin(request, limit);
  if (bytes.byteLength === 0) return { bytes, json: undefined, parseError: "empty body" };
  try {
    return { bytes, json: JSON.parse(utf8.decode(bytes)) };
  } catch (err) {
    return { bytes, json: undefined, parseError: (err as Error).message };
  }
}
