import { createHmac } from "node:crypto";
import { NO_STORE, readCookie } from "../http/headers.ts";
import { hostName, isLoopbackAddress, LOOPBACK_NAMES } from "../http/host.ts";
import type { BrowserLogin } from "./browser-login.ts";
import type { OAuthRequest, OAuthServer } from "./context.ts";
import { sameSecret } from "./credentials.ts";
import { devUserPickerPage, htmlResponse, noticePage } from "./pages.ts";
import { startSession } from "./session.ts";

// GET {base}/oauth/dev-login (seeds/local-development.mdx): a loopback-only stand-in for the IdP that
// signs the browser in as a fixed subject. Loopback is judged by the socket's peer address, never by a
// header a client can write. Loopback is not enough, though: `ssh -L`, socat or `kubectl port-forward`
// bound to 0.0.0.0 relay strangers onto the loopback socket (issue 18). So, as Jupyter does, the browser
// must also hold the dev-login key: `mcpgw dev` prints a link carrying it at start-up, and the first
// visit through that link leaves it in a cookie.

/** The cookie that carries the dev-login key once the start-up link was opened. */
export const DEV_LOGIN_KEY_COOKIE = "mcpgw_dev_login_key";

/**
 * The data dir's dev-login key: derived from the data-dir key, so it survives restarts (the cookie keeps
 * working) and changes with the data dir. Never logged except in the start-up link.
 */
export function devLoginKeyFor(dataKey: Uint8Array): string {
  return createHmac("sha256", dataKey).update("mcpgw dev-login key v1").digest("base64url");
}

/** The link `mcpgw dev` prints: opening it once in a browser lets that browser use dev-login. */
export function devLoginLink(origin: string, basePath: string, key: string): string {
  return `${origin}${basePath}/oauth/dev-login?key=${key}`;
}

export const DEV_LOGIN_SUBJECT = "dev-browser-user";

/** A reverse proxy on the same host connects from loopback for every visitor: its headers give it away. */
function cameThroughProxy(request: Request): boolean {
  return ["forwarded", "x-forwarded-for", "x-real-ip"].some((h) => request.headers.has(h));
}

function refuse(req: OAuthRequest, reason: string, message: string): Response {
  req.report("warn", "mcp_auth_dev_login_refused", message, { reasonCode: reason, clientAddress: req.clientAddress });
  return htmlResponse(noticePage("Dev login is not available here", message), 403);
}

/** dev-login as the browser login strategy: sign-in is the /oauth/dev-login page; there is no IdP callback. */
export const devLoginStrategy: BrowserLogin = {
  kind: "local_dev",
  unavailable: () => undefined,
  start: (server, req, requestId) => {
    const next = `${req.origin}${server.basePath}/oauth/dev-login?request=${encodeURIComponent(requestId)}`;
    return new Response(null, { status: 302, headers: { location: next, ...NO_STORE } });
  },
  callback: () => htmlResponse(noticePage("Not found", "This gateway signs people in with /oauth/dev-login; no identity provider returns here."), 404),
};

export async function devLogin(server: OAuthServer, req: OAuthRequest): Promise<Response> {
  if (server.login.kind !== "local_dev") {
    return htmlResponse(noticePage("Not found", "This gateway signs people in through its identity provider, not /oauth/dev-login."), 404);
  }
  if (server.mode !== "dev") return refuse(req, "not_dev_mode", "/oauth/dev-login works only under `mcpgw dev`; production gateways sign people in through an identity provider.");
  if (!isLoopbackAddress(req.clientAddress)) return refuse(req, "not_loopback", "/oauth/dev-login answers only requests that arrive over loopback (127.0.0.1 or ::1).");
  if (cameThroughProxy(req.request)) return refuse(req, "proxied", "/oauth/dev-login does not answer requests relayed by a proxy, even from loopback.");
  // DNS rebinding: a web page can reach 127.0.0.1 under its own name; only loopback names may sign in.
  const host = req.request.headers.get("host");
  if (!host || !(LOOPBACK_NAMES as readonly string[]).includes(hostName(host))) {
    return refuse(req, "not_loopback_host", "/oauth/dev-login answers only when addressed as 127.0.0.1, localhost or [::1].");
  }

  const fromLink = req.url.searchParams.get("key");
  const key = fromLink ?? readCookie(req.request, DEV_LOGIN_KEY_COOKIE);
  if (key === undefined || !sameSecret(key, server.devLoginKey)) {
    return refuse(
      req,
      fromLink === null ? "no_key" : "wrong_key",
      "This browser has not opened the dev-login link yet. Open the link `mcpgw dev` printed at start-up (…/oauth/dev-login?key=…) once in this browser, then start again from your MCP client.",
    );
  }

  const requestId = req.url.searchParams.get("request");
  const chosen = chooseDevUser(server, req);
  if (chosen instanceof Response) return chosen;
  const { subject, claims } = chosen;
  const headers = new Headers(NO_STORE);
  headers.append("set-cookie", await startSession(server, req, subject, claims));
  if (fromLink !== null) {
    const secure = req.origin.startsWith("https:") ? "; Secure" : "";
    headers.append("set-cookie", `${DEV_LOGIN_KEY_COOKIE}=${key}; Path=${server.basePath}/oauth/dev-login; Max-Age=31536000; HttpOnly; SameSite=Lax${secure}`);
  }
  req.report("info", "mcp_auth_browser_login", `Signed in as ${subject} through dev-login.`, { subjectId: subject, loginKind: "local_dev" });
  if (requestId && (await server.store.flows.findRequest(requestId, server.now()))) {
    headers.set("location", `${req.origin}${server.basePath}/oauth/setup?request=${encodeURIComponent(requestId)}`);
    return new Response(null, { status: 302, headers });
  }
  const page = htmlResponse(noticePage("Signed in", `You are signed in to this gateway as ${subject}. Return to your MCP client to connect.`));
  for (const [name, value] of headers) if (name !== "set-cookie") page.headers.set(name, value);
  for (const cookie of headers.getSetCookie()) page.headers.append("set-cookie", cookie);
  return page;
}

/**
 * mcpgw extension: with `mcpgw.devLogin.users` set, dev-login offers those local identities (with their
 * claims: roles, groups…) so per-person rules such as the capability filter's access control can be tried
 * without an IdP. Without it, the fixed `dev-browser-user` of Zuplo's docs signs in.
 */
function chooseDevUser(server: OAuthServer, req: OAuthRequest): { subject: string; claims: Record<string, unknown> } | Response {
  const users = server.devUsers;
  const names = Object.keys(users);
  if (names.length === 0) return { subject: DEV_LOGIN_SUBJECT, claims: {} };
  const as = req.url.searchParams.get("as");
  if (as === null) {
    const link = (sub: string) => {
      const u = new URL(req.url);
      u.searchParams.set("as", sub);
      return `${u.pathname}${u.search}`;
    };
    return htmlResponse(devUserPickerPage(names.map((sub) => ({ sub, href: link(sub), claims: users[sub]! }))));
  }
  const claims = Object.hasOwn(users, as) ? users[as] : undefined;
  if (!claims) return htmlResponse(noticePage("Unknown dev user", `"${as}" is not one of mcpgw.devLogin.users.`), 400);
  return { subject: as, claims };
}
