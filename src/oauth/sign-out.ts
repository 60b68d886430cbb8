import { createHmac } from "node:crypto";
import { NO_STORE } from "../http/headers.ts";
import type { BrowserSessionRow } from "../store/repositories.ts";
import type { OAuthRequest, OAuthServer } from "./context.ts";
import { hashCredential, sameSecret } from "./credentials.ts";
import { AccessDenied, asOAuthError, type OAuthError } from "./errors.ts";
import { readForm } from "./http.ts";
import { errorPage, htmlResponse, noticePage, type SessionControls } from "./pages.ts";
import { endSession, sessionCookieValue } from "./session.ts";

// POST {base}/oauth/sign-out: "Sign out" ends the browser's session (its row and its cookie); "Switch
// user" ends it and starts a sign-in again (dev-login's picker, or the IdP), coming back to the pending
// authorization request if there is one, so another identity can be tried without clearing cookies.
// CSRF: the form carries a token derived from the session cookie's secret value, which a page on another
// site can neither read nor compute; a foreign Origin is refused, as on the consent page.

/** HMAC keyed with the session's secret: the page that shows the form knows it, nobody else does. */
export function signOutToken(sessionValue: string): string {
  return createHmac("sha256", sessionValue).update("mcpgw sign-out").digest("base64url");
}

/** Whether there is another identity to switch to: dev-login's local users, or whoever the IdP signs in. */
const canSwitch = (server: OAuthServer) => server.login.kind !== "local_dev" || Object.keys(server.devUsers).length > 0;

/** The sign-out form's values for a page shown to the browser signed in as `session`. */
export function sessionControls(server: OAuthServer, req: OAuthRequest, session: BrowserSessionRow, requestId?: string): SessionControls | undefined {
  const value = sessionCookieValue(req);
  if (value === undefined) return undefined;
  return { action: `${server.basePath}/oauth/sign-out`, subject: session.subject, token: signOutToken(value), canSwitch: canSwitch(server), ...(requestId ? { requestId } : {}) };
}

function signOutError(err: OAuthError): Response {
  return htmlResponse(errorPage({ title: "Sign-out did not happen", message: err.description, code: err.code }), err.status);
}

export async function signOut(server: OAuthServer, req: OAuthRequest): Promise<Response> {
  let form: Map<string, string>;
  try {
    form = await readForm(req.request);
  } catch (err) {
    return signOutError(asOAuthError(err));
  }
  const origin = req.request.headers.get("origin");
  if (origin !== null && origin !== req.origin) return signOutError(new AccessDenied("The form was submitted from another site."));
  const value = sessionCookieValue(req);
  // Signed out already (a second click, another tab): nothing to end, and nothing to check the token against.
  if (value === undefined) return htmlResponse(noticePage("Signed out", "You are not signed in to this gateway."));
  const token = form.get("sign_out_token");
  if (token === undefined || !sameSecret(hashCredential(token), hashCredential(signOutToken(value)))) {
    req.report("info", "mcp_auth_sign_out_rejected", "A sign-out form without this session's token was refused.", { reasonCode: "access_denied" });
    return signOutError(new AccessDenied("The form's security token does not match this sign-in session. Reload the page and try again."));
  }

  const sessionHash = hashCredential(value);
  const session = await server.store.sessions.find(sessionHash, server.now());
  const cleared = await endSession(server, req);
  const then = form.get("then") === "switch" ? "switch" : "sign_out";
  if (session) req.report("info", "mcp_auth_browser_logout", `${session.subject} signed out${then === "switch" ? " to switch user" : ""}.`, { subjectId: session.subject, then });
  const headers = { "set-cookie": cleared, ...NO_STORE };
  if (then === "switch") {
    const requestId = form.get("request");
    const pending = requestId ? await server.store.flows.findRequest(requestId, server.now()) : undefined;
    // The person who opened the request hands it over to whoever signs in next; another session's stays its own.
    if (pending && (pending.sessionHash === null || (await server.store.flows.releaseRequest(pending.requestId, sessionHash)))) {
      return withHeaders(await server.login.start(server, req, pending.requestId), headers);
    }
    if (server.login.kind === "local_dev") return new Response(null, { status: 303, headers: { location: `${req.origin}${server.basePath}/oauth/dev-login`, ...headers } });
  }
  return htmlResponse(noticePage("Signed out", "You are signed out of this gateway. To connect, start again from your MCP client."), 200, headers);
}

/** A login strategy's redirect, with the cleared cookie added (its headers may be immutable). */
function withHeaders(response: Response, headers: Record<string, string>): Response {
  const copy = new Response(response.body, response);
  for (const [k, v] of Object.entries(headers)) copy.headers.append(k, v);
  return copy;
}
