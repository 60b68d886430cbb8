import { readCookie } from "../http/headers.ts";
import type { BrowserSessionRow } from "../store/repositories.ts";
import type { OAuthRequest, OAuthServer } from "./context.ts";
import { hashCredential, mintCredential } from "./credentials.ts";

// The browser session between login and consent (spec §1.3: `zuplo_mcp_session`, 8 h). Server-side: the
// cookie holds a random `sess_` value and the store only its hash, so there is nothing to forge or sign.

/** On https the cookie takes the `__Host-` prefix (MCP security best practices: no subdomain can set it). */
export function sessionCookieName(origin: string): string {
  return origin.startsWith("https:") ? "__Host-zuplo_mcp_session" : "zuplo_mcp_session";
}

/** The browser's session cookie value, when it has the shape of one. */
export function sessionCookieValue(req: OAuthRequest): string | undefined {
  const value = readCookie(req.request, sessionCookieName(req.origin));
  return value?.startsWith("sess_") ? value : undefined;
}

export async function currentSession(server: OAuthServer, req: OAuthRequest): Promise<BrowserSessionRow | undefined> {
  const value = sessionCookieValue(req);
  return value === undefined ? undefined : server.store.sessions.find(hashCredential(value), server.now());
}

/** Ends the browser's session (sign-out): deletes its row; returns the Set-Cookie header value that clears the cookie. */
export async function endSession(server: OAuthServer, req: OAuthRequest): Promise<string> {
  const value = sessionCookieValue(req);
  if (value !== undefined) await server.store.sessions.delete(hashCredential(value));
  const secure = req.origin.startsWith("https:") ? "; Secure" : "";
  return `${sessionCookieName(req.origin)}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax${secure}`;
}

/** Creates a session for `subject`; returns the Set-Cookie header value. */
export async function startSession(server: OAuthServer, req: OAuthRequest, subject: string, claims: Record<string, unknown>): Promise<string> {
  const value = mintCredential("sess");
  const ttlSeconds = server.options.sessionTtlSeconds;
  const now = server.now();
  await server.store.sessions.insert({
    sessionHash: hashCredential(value),
    subject,
    claims: JSON.stringify(claims),
    loginKind: server.login.kind,
    createdAt: now,
    expiresAt: now + ttlSeconds * 1000,
  });
  const secure = req.origin.startsWith("https:") ? "; Secure" : "";
  return `${sessionCookieName(req.origin)}=${value}; Path=/; Max-Age=${ttlSeconds}; HttpOnly; SameSite=Lax${secure}`;
}
