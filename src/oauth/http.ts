import { InvalidRequest } from "./errors.ts";

// Small HTTP pieces the OAuth endpoints share: bounded body reading, form parsing that refuses repeated
// parameters (RFC 6749 §3.1), CORS for the endpoints browser-based clients call, cookies.

const MAX_FORM_BYTES = 16 * 1024;

export class BodyTooLarge extends Error {
  constructor(readonly limit: number) {
    super(`the body is larger than ${limit} bytes`);
    this.name = "BodyTooLarge";
  }
}

/**
 * Reads a body as text, counting as it streams: past `limit` it stops reading and throws, so a chunked or
 * trickled body cannot make us buffer (or wait for) more than the limit. Used for requests and for
 * documents we fetch (CIMD).
 */
export async function readTextWithin(body: ReadableStream<Uint8Array> | null, declaredLength: string | null, limit: number): Promise<string> {
  if (Number(declaredLength ?? "0") > limit) throw new BodyTooLarge(limit);
  if (!body) return "";
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel().catch(() => undefined);
      throw new BodyTooLarge(limit);
    }
    chunks.push(value);
  }
  return new TextDecoder().decode(Buffer.concat(chunks));
}

/** Reads at most `limit` bytes of the request body as text; InvalidRequest beyond that. */
export async function readBoundedText(request: Request, limit = MAX_FORM_BYTES): Promise<string> {
  try {
    return await readTextWithin(request.body, request.headers.get("content-length"), limit);
  } catch (err) {
    if (err instanceof BodyTooLarge) throw new InvalidRequest(`The request body is larger than ${limit} bytes.`);
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

export function jsonResponse(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });
}

export const NO_STORE: Record<string, string> = { "cache-control": "no-store", pragma: "no-cache" };

/** The value of one cookie from the Cookie header. */
export function readCookie(request: Request, name: string): string | undefined {
  const header = request.headers.get("cookie");
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const i = part.indexOf("=");
    if (i !== -1 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim();
  }
  return undefined;
}
