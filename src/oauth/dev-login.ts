import { NO_STORE } from "../http/headers.ts";
import { hostName, isLoopbackAddress, LOOPBACK_NAMES } from "../http/host.ts";
import type { BrowserLogin, OAuthRequest, OAuthServer } from "./context.ts";
import { devUserPickerPage, htmlResponse, noticePage } from "./pages.ts";
import { startSession } from "./session.ts";

// GET {base}/oauth/dev-login (seeds/local-development.mdx): a loopback-only stand-in for the IdP that
// signs the browser in as a fixed subject. Loopback is judged by the socket's peer address, never by a
// header a client can write.

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

  const requestId = req.url.searchParams.get("request");
  const chosen = chooseDevUser(server, req);
  if (chosen instanceof Response) return chosen;
  const { subject, claims } = chosen;
  const cookie = await startSession(server, req, subject, claims);
  req.report("info", "mcp_auth_browser_login", `Signed in as ${subject} through dev-login.`, { subjectId: subject, loginKind: "local_dev" });
  if (requestId && (await server.store.flows.findRequest(requestId, server.now()))) {
    const next = `${req.origin}${server.basePath}/oauth/setup?request=${encodeURIComponent(requestId)}`;
    return new Response(null, { status: 302, headers: { location: next, "set-cookie": cookie, ...NO_STORE } });
  }
  return htmlResponse(noticePage("Signed in", `You are signed in to this gateway as ${subject}. Return to your MCP client to connect.`), 200, { "set-cookie": cookie });
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
