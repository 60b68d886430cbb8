import { BodyTooLargeError, readBodyWithin } from "../http/body.ts";
import { InvalidRequest } from "./errors.ts";

// Small HTTP pieces the OAuth endpoints share: bounded form and JSON bodies, form parsing that refuses
// repeated parameters (RFC 6749 §3.1), CORS for the endpoints browser-based clients call.

const MAX_FORM_BYTES = 16 * 1024;
const utf8 = new TextDecoder();

/** Reads at most `limit` bytes of the request body as text; InvalidRequest beyond that. */
export async function readBoundedText(request: Request, limit = MAX_FORM_BYTES): Promise<string> {
  try {
    return utf8.decode(await readBodyWithin(request, limit));
  } catch (err) {
    if (err instanceof BodyTooLargeError) throw new InvalidRequest(`The request body is larger than ${limit} bytes.`);
    throw err;
  }
}

export function mediaType(request: Request): string {
  return (request.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
}

/** RFC 6749 §3.1 / §3.2: "Request and response parameters MUST NOT be included more than once." */
export function singleValued(params: URLSearchParams, except: readonly string[] = []): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, value] of params) {
    if (out.has(k) && !except.includes(k)) throw new InvalidRequest(`The parameter ${k} is repeated.`);
    if (value !== "") out.set(k, value);
  }
  return out;
}

/** An application/x-www-form-urlencoded POST body, each parameter at most once. */
export async function readForm(request: Request): Promise<Map<string, string>> {
  if (mediaType(request) !== "application/x-www-form-urlencoded") {
    throw new InvalidRequest("The body must be application/x-www-form-urlencoded.");
  }
  return singleValued(new URLSearchParams(await readBoundedText(request)));
}

/**
 * CORS for discovery documents and for token, registration and revocation: MCP clients running in a
 * browser (e.g. the Inspector) call them cross-origin. `*` without credentials: these endpoints never
 * read cookies, so no ambient authority is exposed.
 */
export function corsHeaders(methods: string): Record<string, string> {
  return {
    "access-control-allow-origin": "*",
    "access-control-allow-methods": methods,
    "access-control-allow-headers": "authorization, content-type, mcp-protocol-version",
    "access-control-max-age": "86400",
  };
}

export function preflight(methods: string): Response {
  return new Response(null, { status: 204, headers: corsHeaders(methods) });
}

export function withHeaders(response: Response, headers: Record<string, string>): Response {
  for (const [k, v] of Object.entries(headers)) response.headers.set(k, v);
  return response;
}

