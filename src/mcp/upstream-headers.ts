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
 * client sent, as nginx's $proxy_add_x_forwarded_for does. `extra` are the lower-cased names the
 * project forwards besides (forward-request-headers.ts has already refused the unsafe ones).
 */
export function upstreamRequestHeaders(inbound: Headers, requestId: string, clientAddress: string | undefined, origin: string, extra: readonly string[] = []): Headers {
  const out = new Headers();
  copyNamed(inbound, out, FORWARDED_REQUEST_HEADERS);
  copyNamed(inbound, out, extra);
  const priorFor = inbound.get("x-forwarded-for");
  if (clientAddress) out.set("x-forwarded-for", priorFor ? `${priorFor}, ${clientAddress}` : clientAddress);
  const schemeEnd = origin.indexOf("://");
  out.set("x-forwarded-host", origin.slice(schemeEnd + 3));
  out.set("x-forwarded-proto", origin.slice(0, schemeEnd));
  out.set("x-request-id", requestId);
  return out;
}

function copyNamed(from: Headers, to: Headers, names: readonly string[]): void {
  for (const name of names) {
    const value = from.get(name);
    if (value !== null) to.set(name, value);
  }
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

/**
 * What the forward step answers the client with. A class rather than a side table keyed by Response:
 * the pipeline and response hooks read these facts from the answer itself.
 */
export class UpstreamAnswer {
  constructor(
    readonly response: Response,
    /** True when the response already carries x-request-id (its Headers need not be opened to add it). */
    readonly carriesRequestId: boolean,
    /**
     * The bytes of an answer the forward step read whole: a response hook (the capability filter) reads
     * them here instead of reading the body stream again, and can hand the same answer on when it
     * changes nothing.
     */
    readonly bufferedBody?: Uint8Array<ArrayBuffer>,
    /** That body parsed, when the forward step parsed it already (JSON up to 64 KiB). */
    readonly parsedBody?: unknown,
  ) {}
}

/** The client's answer for an upstream response: headers through clientResponseHeaders (with x-request-id). */
export function proxiedAnswer(body: Uint8Array<ArrayBuffer> | ReadableStream<Uint8Array> | null, status: number, upstream: Headers, requestId: string, parsedBody?: unknown): UpstreamAnswer {
  const response = new Response(body, { status, headers: clientResponseHeaders(upstream, requestId) });
  return new UpstreamAnswer(response, true, body instanceof Uint8Array ? body : undefined, parsedBody);
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
