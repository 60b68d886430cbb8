import type { ProxySettings } from "../config/types.ts";
import { readBodyWithin } from "../http/body.ts";
import type { InFlightBytes } from "../http/in-flight-bytes.ts";
import type { RequestBody } from "./context.ts";
import { parseJsonBody, reserveBodyBytes } from "./json-body.ts";

/**
 * The request body, bounded by `limits.maxRequestBodyBytes` (BodyTooLargeError past it), and its JSON
 * if it is JSON (BodyRefusedError for JSON too deep, too long a batch, or ambiguous members). Its bytes
 * count against the gateway-wide budget until it is read and parsed: a declared Content-Length up
 * front, a chunked body chunk by chunk.
 */
export async function readRequestBody(request: Request, limits: ProxySettings, inFlight: InFlightBytes): Promise<RequestBody> {
  const declared = request.headers.get("content-length");
  let reserved = 0;
  const reserve = (bytes: number) => {
    reserveBodyBytes(inFlight, bytes, limits.maxConcurrentBodyBytes);
    reserved += bytes;
  };
  try {
    const length = Number(declared);
    if (declared !== null && length >= 0 && length <= limits.maxRequestBodyBytes) reserve(length);
    const bytes = await readBodyWithin(request, limits.maxRequestBodyBytes, declared === null ? reserve : undefined);
    return parseJsonBody(bytes, limits);
  } finally {
    inFlight.release(reserved);
  }
}
