import { NO_STORE } from "../http/headers.ts";
import { problemResponse } from "../http/problem.ts";
import { asOAuthError, oauthErrorResponse, type OAuthError } from "./errors.ts";
import { errorPage, htmlResponse } from "./pages.ts";

// The one place an endpoint of the authorization server answers when it fails or refuses at its door
// (a rate limit, a store outage): in the shape its callers read. A browser gets an HTML page, an OAuth
// client an RFC 6749 §5.2 JSON body, anyone else an RFC 9457 problem; never a plain-text 500 or a stack.

/** Who calls an endpoint, and so which shape its errors take. */
export type EndpointKind = "browser" | "api" | "discovery";

/** An OAuthError (or anything else, as server_error) in the endpoint's shape; Retry-After when it has one. */
export function endpointErrorResponse(kind: EndpointKind, err: unknown, requestId: string): Response {
  const e: OAuthError = asOAuthError(err);
  const retryAfter = (e as { retryAfterSeconds?: number }).retryAfterSeconds;
  const headers: Record<string, string> = retryAfter === undefined ? {} : { "retry-after": String(retryAfter) };
  if (kind === "api") return oauthErrorResponse(e);
  if (kind === "browser") {
    const page = errorPage({
      title: e.status === 429 ? "Too many requests" : e.status >= 500 ? "The gateway could not complete this step" : "This request cannot continue",
      message: e.description,
      code: e.code,
      note: `Request id ${requestId} (the gateway's log has the details).`,
    });
    return htmlResponse(page, e.status, headers);
  }
  return problemResponse(e.status, e.description, { requestId }, { ...NO_STORE, ...headers });
}
