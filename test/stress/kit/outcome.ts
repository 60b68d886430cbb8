// What every answer of the gateway must look like, whatever was sent: no stack trace, and an error in
// the shape of the protocol the endpoint speaks. Each check returns what is wrong, or undefined, so a
// fuzz case can report the request and the answer together.

export interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
}

export async function readAnswer(response: Response): Promise<Answer> {
  return { status: response.status, headers: response.headers, text: await response.text() };
}

/** A JS stack frame, a source position or a runtime's error dump: none may reach a client. */
const STACK = /\n\s+at\s|\bat\s+\S+\s+\(.*:\d+:\d+\)|\.(?:ts|js|mjs):\d+:\d+|Traceback|SQLiteError|TypeError:|ReferenceError:/;

export function stackTrace(a: Answer): string | undefined {
  return STACK.test(a.text) ? `the body carries a stack trace or an internal error: ${a.text.slice(0, 300)}` : undefined;
}

const mediaType = (a: Answer) => (a.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();

function parse(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** JSON-RPC 2.0 §5.1 error object. */
function jsonRpcError(v: unknown): boolean {
  if (!isRecord(v) || v.jsonrpc !== "2.0" || !("id" in v) || !isRecord(v.error)) return false;
  return Number.isInteger(v.error.code) && typeof v.error.message === "string";
}

/**
 * An MCP route's answer to a POST: 2xx as the upstream sent it (JSON or an event stream), 202 empty;
 * anything else a JSON-RPC error (or a batch of them). A 401/403 from the OAuth policy is RFC 6750's
 * (WWW-Authenticate with a JSON body) — the MCP authorization spec puts it there.
 */
export function mcpShape(a: Answer): string | undefined {
  const type = mediaType(a);
  if (a.status === 202) return a.text === "" ? undefined : "a 202 with a body";
  if (a.status === 401 || (a.status === 403 && a.headers.get("www-authenticate"))) {
    if (!a.headers.get("www-authenticate")?.startsWith("Bearer ")) return `${a.status} without a Bearer challenge`;
    return isRecord(parse(a.text)) ? undefined : `${a.status} body is not a JSON object`;
  }
  if (a.status >= 200 && a.status < 300) {
    if (type === "text/event-stream") return undefined;
    if (type !== "application/json") return `2xx with content type ${type}`;
    return parse(a.text) === undefined ? "2xx body is not JSON" : undefined;
  }
  if (type !== "application/json") return `${a.status} with content type ${type || "(none)"}, not a JSON-RPC error`;
  const body = parse(a.text);
  const ok = Array.isArray(body) ? body.length > 0 && body.every(jsonRpcError) : jsonRpcError(body);
  return ok ? undefined : `${a.status} body is not a JSON-RPC error: ${a.text.slice(0, 200)}`;
}

/** RFC 6749 §5.2, RFC 7591 §3.2.2, RFC 7009 §2.2.1 error codes (and RFC 6749 §4.1.2.1's for 503s). */
const OAUTH_ERRORS = new Set([
  "invalid_request", "invalid_client", "invalid_grant", "unauthorized_client", "unsupported_grant_type", "invalid_scope",
  "invalid_target", "invalid_client_metadata", "invalid_redirect_uri", "unsupported_token_type", "temporarily_unavailable", "server_error",
]);

/** Token, registration and revocation: success as the endpoint defines it, or an RFC 6749 JSON error. */
export function oauthJsonShape(a: Answer, success: (a: Answer) => string | undefined): string | undefined {
  if (a.status < 300) return success(a);
  if (a.status >= 500 && a.status !== 503) return `${a.status}: the endpoint failed (${a.text.slice(0, 200)})`;
  if (mediaType(a) !== "application/json") return `${a.status} with content type ${mediaType(a) || "(none)"}`;
  const body = parse(a.text);
  if (!isRecord(body) || typeof body.error !== "string" || !OAUTH_ERRORS.has(body.error)) return `${a.status} body is not an RFC 6749 error: ${a.text.slice(0, 200)}`;
  if (body.error_description !== undefined && typeof body.error_description !== "string") return "error_description is not a string";
  if (a.headers.get("cache-control") !== "no-store") return "an error without Cache-Control: no-store";
  return undefined;
}

/**
 * The authorization endpoint talks to a browser: an HTML page, or a redirect — to the gateway's own
 * login, or to a redirect URI the client registered (`registered` says which ones are).
 */
export function authorizeShape(a: Answer, gatewayOrigin: string, registered: (uri: string) => boolean): string | undefined {
  if (transportRefusal(a)) return undefined;
  if (a.status >= 500 && a.status !== 503) return `${a.status} from authorize: ${a.text.slice(0, 200)}`;
  if (a.status === 302 || a.status === 303) {
    const location = a.headers.get("location");
    if (!location) return `${a.status} without Location`;
    const target = new URL(location, gatewayOrigin);
    if (target.origin === gatewayOrigin) return undefined;
    const back = `${target.origin}${target.pathname}`;
    return registered(back) ? undefined : `redirected to ${back}, which no client registered`;
  }
  if (!mediaType(a).startsWith("text/html")) return `${a.status} with content type ${mediaType(a) || "(none)"}, not an HTML page`;
  return undefined;
}

/**
 * Bun's HTTP server refuses a request line or header block it will not read (414, 431) before the
 * gateway sees the request: no body at all, so nothing to leak and no shape to keep.
 */
export function transportRefusal(a: Answer): boolean {
  return (a.status === 414 || a.status === 431) && a.text === "";
}

/** RFC 9457 problem details: everywhere else. */
export function problemShape(a: Answer): string | undefined {
  if (a.status < 400 || transportRefusal(a)) return undefined;
  if (mediaType(a) !== "application/problem+json") return `${a.status} with content type ${mediaType(a) || "(none)"}, not a problem`;
  const body = parse(a.text);
  if (!isRecord(body) || body.status !== a.status || typeof body.type !== "string") return `${a.status} body is not RFC 9457: ${a.text.slice(0, 200)}`;
  return undefined;
}
