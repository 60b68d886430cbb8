// What crosses from client to upstream is an allow-list, not a block-list: the inbound Authorization
// (our own token), cookies and hop-by-hop headers never reach an upstream (MCP 2025-11-25
// authorization §"Token Passthrough" forbids it). Credentials for the upstream are added by policies.
// The Streamable HTTP headers pass both ways; W3C Trace Context passes so traces join up.
const FORWARDED_REQUEST_HEADERS = [
  "accept",
  "content-type",
  "mcp-protocol-version",
  "mcp-session-id",
  "last-event-id",
  "user-agent",
  "traceparent",
  "tracestate",
];

/**
 * Headers for the upstream request. `origin` is the gateway's public origin (scheme://host[:port]),
 * which becomes X-Forwarded-Proto/-Host; X-Forwarded-For appends the socket peer to any chain the
 * client sent, as nginx's $proxy_add_x_forwarded_for does.
 */
export function upstreamRequestHeaders(inbound: Headers, requestId: string, clientAddress: string | undefined, origin: string): Headers {
  const out = new Headers();
  for (const name of FORWARDED_REQUEST_HEADERS) {
    const value = inbound.get(name);
    if (value !== null) out.set(name, value);
  }
  const priorFor = inbound.get("x-forwarded-for");
  if (clientAddress) out.set("x-forwarded-for", priorFor ? `${priorFor}, ${clientAddress}` : clientAddress);
  const schemeEnd = origin.indexOf("://");
  out.set("x-forwarded-host", origin.slice(schemeEnd + 3));
  out.set("x-forwarded-proto", origin.slice(0, schemeEnd));
  out.set("x-request-id", requestId);
  return out;
}

// Back to the client goes everything except: hop-by-hop headers (RFC 9110 §7.6.1), which describe the
// upstream connection; cookies, which would plant the upstream's state in the client under our
// origin; WWW-Authenticate, which would make the client think *our* token was refused and restart
// OAuth against us (the handler turns an upstream 401 into a JSON-RPC error instead); Alt-Svc, which
// would point the client at the upstream's host; and framing, which the HTTP server recomputes
// (fetch has already decoded any Content-Encoding, so the upstream's length and encoding are stale).
// Issue 18: nor anything a browser applies to the gateway's whole origin, which also serves the
// consent and dev-login pages: HSTS, Clear-Site-Data (would wipe the consent session), reporting
// and isolation settings, and per-response policies the gateway decides itself (CSP, CORS, COOP…).
const DROPPED_RESPONSE_HEADERS: ReadonlySet<string> = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "te",
  "trailer",
  "upgrade",
  "proxy-authenticate",
  "set-cookie",
  "set-cookie2",
  "www-authenticate",
  "alt-svc",
  "content-length",
  "content-encoding",
  "strict-transport-security",
  "clear-site-data",
  "content-security-policy",
  "content-security-policy-report-only",
  "cross-origin-opener-policy",
  "cross-origin-opener-policy-report-only",
  "cross-origin-embedder-policy",
  "cross-origin-embedder-policy-report-only",
  "cross-origin-resource-policy",
  "origin-agent-cluster",
  "permissions-policy",
  "feature-policy",
  "service-worker-allowed",
  "nel",
  "report-to",
  "reporting-endpoints",
  "public-key-pins",
  "public-key-pins-report-only",
  "expect-ct",
  "timing-allow-origin",
  "refresh",
]);

/** CORS is the gateway's decision for its own routes (Access-Control-Allow-Origin, -Credentials, …). */
const DROPPED_RESPONSE_PREFIX = "access-control-";

/**
 * The client's response headers, plus x-request-id: one pass over the upstream's headers into a plain
 * record (a Headers copy and a delete per dropped name cost a native call each, on every request).
 */
export function clientResponseHeaders(upstream: Headers, requestId: string): Record<string, string> {
  const out: Record<string, string> = {};
  // RFC 9110 §7.6.1: a Connection header names further hop-by-hop fields.
  const connection = upstream.get("connection");
  const named = connection ? new Set(connection.split(",").map((t) => t.trim().toLowerCase())) : undefined;
  for (const [name, value] of upstream) {
    if (DROPPED_RESPONSE_HEADERS.has(name) || named?.has(name) || name.startsWith(DROPPED_RESPONSE_PREFIX)) continue;
    out[name] = value;
  }
  out["x-request-id"] = requestId;
  return out;
}

/** Responses made by proxiedResponse, with the bytes of a body the handler read whole (null when streamed). */
const proxied = new WeakMap<Response, Uint8Array<ArrayBuffer> | null>();

/**
 * The client's response for an upstream answer: its headers through clientResponseHeaders, so it
 * carries x-request-id already and the pipeline need not open its Headers to add it. A body given as
 * bytes is remembered for response hooks (bufferedBodyOf).
 */
export function proxiedResponse(body: Uint8Array<ArrayBuffer> | ReadableStream<Uint8Array> | null, status: number, upstream: Headers, requestId: string): Response {
  const response = new Response(body, { status, headers: clientResponseHeaders(upstream, requestId) });
  proxied.set(response, body instanceof Uint8Array ? body : null);
  return response;
}

export function carriesRequestId(response: Response): boolean {
  return proxied.has(response);
}

/**
 * The bytes of an answer the handler read whole, if `response` is one: a response hook (the capability
 * filter) reads them here instead of reading the body stream again, and can hand the same response on
 * when it changes nothing.
 */
export function bufferedBodyOf(response: Response): Uint8Array<ArrayBuffer> | undefined {
  return proxied.get(response) ?? undefined;
}

/**
 * Whether an upstream redirect points away from the upstream's origin. Passed on raw, such a
 * `Location` would send an MCP client (and its next request, which may carry a token for the gateway)
 * wherever the upstream likes, under the gateway's name; the handler answers 502 instead.
 */
export function redirectsElsewhere(location: string | null, upstreamUrl: string): boolean {
  if (location === null) return false;
  try {
    return new URL(location, upstreamUrl).origin !== new URL(upstreamUrl).origin;
  } catch {
    return true;
  }
}
