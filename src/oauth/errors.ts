import { NO_STORE } from "../http/headers.ts";
import { problemResponse } from "../http/problem.ts";

// The one place OAuth errors become HTTP responses. Every check in the authorization server throws one of
// these typed errors; endpoints never build `{ error }` bodies themselves. Codes are the registered
// values of RFC 6749 §4.1.2.1 / §5.2, RFC 7591 §3.2.2, RFC 8707 §2 and RFC 6750 §3.1.

export type OAuthErrorCode =
  | "invalid_request"
  | "invalid_client"
  | "invalid_grant"
  | "unauthorized_client"
  | "unsupported_grant_type"
  | "unsupported_response_type"
  | "invalid_scope"
  | "invalid_target"
  | "access_denied"
  | "server_error"
  | "invalid_client_metadata"
  | "invalid_redirect_uri"
  | "invalid_token"
  | "insufficient_scope"
  | "temporarily_unavailable";

export class OAuthError extends Error {
  constructor(
    readonly code: OAuthErrorCode,
    readonly status: number,
    readonly description: string,
  ) {
    super(description);
    this.name = "OAuthError";
  }
}

/** A plain error type: code and status fixed, description given per use. */
function errorType(code: OAuthErrorCode, status: number) {
  return class extends OAuthError {
    constructor(description: string) {
      super(code, status, description);
    }
  };
}

export const InvalidRequest = errorType("invalid_request", 400);
export const InvalidGrant = errorType("invalid_grant", 400);
export const UnauthorizedClient = errorType("unauthorized_client", 400);
export const UnsupportedGrantType = errorType("unsupported_grant_type", 400);
export const UnsupportedResponseType = errorType("unsupported_response_type", 400);
export const InvalidScope = errorType("invalid_scope", 400);
/** RFC 8707 §2: the requested resource is unknown, malformed, or not the one the grant is bound to. */
export const InvalidTarget = errorType("invalid_target", 400);
export const AccessDenied = errorType("access_denied", 403);
export const ServerError = errorType("server_error", 500);
/** RFC 7591 §3.2.2. */
export const InvalidClientMetadata = errorType("invalid_client_metadata", 400);
export const InvalidRedirectUri = errorType("invalid_redirect_uri", 400);
export const InsufficientScope = errorType("insufficient_scope", 403);

/** RFC 6749 §5.2: 401, and a Basic challenge when the client tried the Authorization header. */
export class InvalidClient extends OAuthError {
  constructor(
    description: string,
    readonly usedBasic = false,
  ) {
    super("invalid_client", 401, description);
  }
}

/**
 * RFC 6749 §4.1.2.1 `temporarily_unavailable`, also on the token, registration and revocation endpoints
 * (no other registered code fits): 429 when a rate limit is reached, 503 when the store is full.
 */
export class TemporarilyUnavailable extends OAuthError {
  constructor(
    description: string,
    status: 429 | 503,
    /** Sent as Retry-After (delay-seconds). */
    readonly retryAfterSeconds: number,
  ) {
    super("temporarily_unavailable", status, description);
  }
}

/** RFC 6750 §3.1, at the resource server. */
export class InvalidToken extends OAuthError {
  constructor(
    description: string,
    /** Stable reason for logs and analytics (spec §5.2 reasonCode). */
    readonly reasonCode: "invalid_token" | "expired_token" | "revoked_token" | "invalid_audience",
  ) {
    super("invalid_token", 401, description);
  }
}

/** Anything that is not an OAuthError is a bug or an outage: the client learns only `server_error`. */
export function asOAuthError(err: unknown): OAuthError {
  return err instanceof OAuthError ? err : new ServerError("The authorization server failed; see the gateway log.");
}


/** RFC 6749 §5.2 error body for the token, registration and revocation endpoints. */
export function oauthErrorResponse(err: OAuthError, extraHeaders: HeadersInit = {}): Response {
  const headers = new Headers(extraHeaders);
  headers.set("content-type", "application/json");
  for (const [k, v] of Object.entries(NO_STORE)) headers.set(k, v);
  if (err instanceof InvalidClient && err.usedBasic) headers.set("www-authenticate", 'Basic realm="OAuth"');
  if (err instanceof TemporarilyUnavailable) headers.set("retry-after", String(err.retryAfterSeconds));
  return new Response(JSON.stringify({ error: err.code, error_description: err.description }), { status: err.status, headers });
}

/**
 * RFC 6749 §4.1.2.1 error redirect, only ever called once the client and its redirect URI are verified.
 * `iss` per RFC 9207. After the consent POST the status is 303: RFC 9700 §4.12 forbids 307, which would
 * re-send the form (and its CSRF token) to the client.
 */
export function authorizationErrorRedirect(err: OAuthError, redirectUri: string, state: string | undefined, issuer: string, status: 302 | 303 = 302): Response {
  const url = new URL(redirectUri);
  url.searchParams.set("error", err.code);
  url.searchParams.set("error_description", err.description);
  if (state !== undefined) url.searchParams.set("state", state);
  url.searchParams.set("iss", issuer);
  return new Response(null, { status, headers: { location: url.href, ...NO_STORE } });
}

/** Quoted-string value for WWW-Authenticate (RFC 9110 §5.6.4): no quotes or backslashes survive raw. */
function quoted(value: string): string {
  return `"${value.replace(/[\\"]/g, "\\$&")}"`;
}

export interface BearerChallenge {
  readonly resourceMetadataUrl: string;
  readonly scope: string;
  /** Omitted for a request that carried no token at all (RFC 6750 §3.1). */
  readonly error?: OAuthError;
}

/**
 * The resource server's answer to a request it will not serve (RFC 6750 §3, RFC 9728 §5.1, MCP
 * authorization §Protected Resource Metadata Discovery): 401 with the challenge, 403 for insufficient
 * scope, 400 for a malformed request.
 */
export function bearerChallengeResponse(challenge: BearerChallenge): Response {
  const params = ['realm="OAuth"'];
  if (challenge.error) {
    params.push(`error=${quoted(challenge.error.code)}`, `error_description=${quoted(challenge.error.description)}`);
  }
  params.push(`resource_metadata=${quoted(challenge.resourceMetadataUrl)}`, `scope=${quoted(challenge.scope)}`);
  const headers = { "www-authenticate": `Bearer ${params.join(", ")}`, ...NO_STORE };
  if (!challenge.error) {
    // RFC 6750 §3.1: no error code when the request carried no token; the body is the gateway's usual problem.
    return problemResponse(401, "This MCP route needs an access token from the gateway's authorization server; see WWW-Authenticate.", {}, headers);
  }
  return new Response(JSON.stringify({ error: challenge.error.code, error_description: challenge.error.description }), {
    status: challenge.error.status,
    headers: { "content-type": "application/json", ...headers },
  });
}
