import { createHmac } from "node:crypto";
import { NO_STORE, readCookie } from "../http/headers.ts";
import { hostName, isLoopbackAddress, LOOPBACK_NAMES } from "../http/host.ts";
import type { BrowserLogin, OAuthRequest, OAuthServer } from "./context.ts";
import { hashCredential, mintCredential, sameSecret } from "./credentials.ts";
import { AccessDenied, asOAuthError, type OAuthError } from "./errors.ts";
import { readForm } from "./http.ts";
import { devLoginStatusPage, devUserPickerPage, errorPage, htmlResponse, noticePage } from "./pages.ts";
import { currentSession, endSession, startSession } from "./session.ts";
import { sessionControls } from "./sign-out.ts";

// {base}/oauth/dev-login (seeds/local-development.mdx): a loopback-only stand-in for the IdP that signs
// the browser in as a fixed subject, or as one of mcpgw.devLogin.users picked on a page (POST). Loopback
// is judged by the socket's peer address, never by a header a client can write. Loopback is not enough,
// though: `ssh -L`, socat or `kubectl port-forward` bound to 0.0.0.0 relay strangers onto the loopback
// socket (issue 18). So, as Jupyter does, the browser must also hold the dev-login key: `mcpgw dev`
// prints a link carrying it at start-up, and the first visit through that link leaves it in a cookie.

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

/** The conditions every dev-login request meets, GET or POST: the refusal when one does not hold. */
function refusal(server: OAuthServer, req: OAuthRequest): Response | undefined {
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
  // The dev-login key: from the start-up link (?key=, GET only) or the cookie that link left.
  const fromLink = req.request.method === "GET" ? req.url.searchParams.get("key") : null;
  const key = fromLink ?? readCookie(req.request, DEV_LOGIN_KEY_COOKIE);
  if (key === undefined || !sameSecret(key, server.devLoginKey)) {
    return refuse(
      req,
      fromLink === null ? "no_key" : "wrong_key",
      "This browser has not opened the dev-login link yet. Open the link `mcpgw dev` printed at start-up (…/oauth/dev-login?key=…) once in this browser, then start again from your MCP client.",
    );
  }
  return undefined;
}

/** The start-up link's key, kept in a cookie (a year, dev-login's path only) so the link is needed once. */
function keyCookie(server: OAuthServer, req: OAuthRequest, key: string): string {
  const secure = req.origin.startsWith("https:") ? "; Secure" : "";
  return `${DEV_LOGIN_KEY_COOKIE}=${key}; Path=${server.basePath}/oauth/dev-login; Max-Age=31536000; HttpOnly; SameSite=Lax${secure}`;
}

/**
 * GET: Zuplo's dev-login signs the browser in as `dev-browser-user` at once. mcpgw extension: with
 * `mcpgw.devLogin.users` set, it shows a picker of those local identities (with their claims: roles,
 * groups…), which signs in with a POST, so per-person rules such as the capability filter's access
 * control can be tried without an IdP. A browser signed in already is shown who it is, with "Switch
 * user" and "Sign out" (src/oauth/sign-out.ts).
 */
export async function devLogin(server: OAuthServer, req: OAuthRequest): Promise<Response> {
  const refused = refusal(server, req);
  if (refused) return refused;
  const response = await devLoginPage(server, req);
  // Opened through the start-up link: the browser keeps the key (not on a refusal).
  const fromLink = req.url.searchParams.get("key");
  if (fromLink !== null && response.status < 400) response.headers.append("set-cookie", keyCookie(server, req, fromLink));
  return response;
}

async function devLoginPage(server: OAuthServer, req: OAuthRequest): Promise<Response> {
  const users = server.devUsers;
  const configured = Object.keys(users).length > 0;
  // `as` named the identity when the picker's links signed in; an unknown one is still an error.
  const as = req.url.searchParams.get("as");
  if (configured && as !== null && !Object.hasOwn(users, as)) return unknownUser(as);
  const requestId = req.url.searchParams.get("request") ?? undefined;
  const pending = requestId ? await server.store.flows.findRequest(requestId, server.now()) : undefined;
  const session = await currentSession(server, req);
  if (session) {
    if (pending) return new Response(null, { status: 302, headers: { location: consentUrl(server, req, pending.requestId), ...NO_STORE } });
    const controls = sessionControls(server, req, session);
    if (controls) return htmlResponse(devLoginStatusPage(controls));
  }
  if (!configured) return signIn(server, req, DEV_LOGIN_SUBJECT, {}, pending?.requestId, "get");
  const csrf = mintCredential("csrf");
  const page = devUserPickerPage({
    users: Object.entries(users).map(([sub, claims]) => ({ sub, claims })),
    formAction: `${server.basePath}/oauth/dev-login`,
    csrfToken: csrf,
    ...(pending ? { requestId: pending.requestId } : {}),
  });
  return htmlResponse(page, 200, { "set-cookie": csrfCookie(server, req, csrf, CSRF_TTL_SECONDS) });
}

/** POST: the picker's choice. Checked like the consent form: Origin, and a token only the picker's page had. */
export async function devLoginSubmit(server: OAuthServer, req: OAuthRequest): Promise<Response> {
  const refused = refusal(server, req);
  if (refused) return refused;
  let form: Map<string, string>;
  try {
    form = await readForm(req.request);
  } catch (err) {
    return loginError(req, asOAuthError(err));
  }
  const origin = req.request.headers.get("origin");
  if (origin !== null && origin !== req.origin) return loginError(req, new AccessDenied("The form was submitted from another site."));
  // Double submit: the picker set the cookie and wrote the same random value into its form; a page on
  // another site can make the browser send the cookie, but cannot read it to fill in the form.
  const expected = readCookie(req.request, CSRF_COOKIE);
  const token = form.get("csrf_token");
  if (expected === undefined || token === undefined || !sameSecret(hashCredential(token), hashCredential(expected))) {
    return loginError(req, new AccessDenied("The form's security token does not match. Reload the dev-login page and try again."));
  }
  const as = form.get("as") ?? "";
  const users = server.devUsers;
  const claims = Object.keys(users).length === 0 ? (as === DEV_LOGIN_SUBJECT ? {} : undefined) : Object.hasOwn(users, as) ? users[as] : undefined;
  if (!claims) return unknownUser(as);
  // Choosing anew while signed in replaces the session: the old one ends rather than lingering until it expires.
  const ended = await endSession(server, req);
  const requestId = form.get("request");
  const pending = requestId ? await server.store.flows.findRequest(requestId, server.now()) : undefined;
  return signIn(server, req, as, claims, pending?.requestId, "post", [ended, csrfCookie(server, req, "", 0)]);
}

const CSRF_COOKIE = "mcpgw_dev_login_csrf";
/** As long as an authorization request waits for its sign-in (the default stateTtlSeconds). */
const CSRF_TTL_SECONDS = 900;

/** Only the dev-login path sees it; Strict: no other site's page can make the browser send it. */
function csrfCookie(server: OAuthServer, req: OAuthRequest, value: string, maxAge: number): string {
  const secure = req.origin.startsWith("https:") ? "; Secure" : "";
  return `${CSRF_COOKIE}=${value}; Path=${server.basePath}/oauth/dev-login; Max-Age=${maxAge}; HttpOnly; SameSite=Strict${secure}`;
}

const consentUrl = (server: OAuthServer, req: OAuthRequest, requestId: string) => `${req.origin}${server.basePath}/oauth/setup?request=${encodeURIComponent(requestId)}`;

function unknownUser(as: string): Response {
  return htmlResponse(noticePage("Unknown dev user", `"${as}" is not one of mcpgw.devLogin.users.`), 400);
}

function loginError(req: OAuthRequest, err: OAuthError): Response {
  req.report("info", "mcp_auth_dev_login_rejected", err.description, { reasonCode: err.code });
  return htmlResponse(errorPage({ title: "Sign-in did not happen", message: err.description, code: err.code }), err.status);
}

/**
 * Starts the session and moves on: to the consent page of the pending request, or, with none, to the
 * signed-in page (after a POST, through a 303 to GET dev-login, which shows it with "Sign out").
 */
async function signIn(
  server: OAuthServer,
  req: OAuthRequest,
  subject: string,
  claims: Record<string, unknown>,
  requestId: string | undefined,
  method: "get" | "post",
  cookies: readonly string[] = [],
): Promise<Response> {
  const cookie = await startSession(server, req, subject, claims);
  req.report("info", "mcp_auth_browser_login", `Signed in as ${subject} through dev-login.`, { subjectId: subject, loginKind: "local_dev" });
  const headers = new Headers(NO_STORE);
  for (const c of [...cookies, cookie]) headers.append("set-cookie", c);
  const next = requestId ? consentUrl(server, req, requestId) : method === "post" ? `${req.origin}${server.basePath}/oauth/dev-login` : undefined;
  if (next) {
    headers.set("location", next);
    return new Response(null, { status: method === "post" ? 303 : 302, headers });
  }
  const page = htmlResponse(noticePage("Signed in", `You are signed in to this gateway as ${subject}. Return to your MCP client to connect.`));
  for (const c of headers.getSetCookie()) page.headers.append("set-cookie", c);
  return page;
}
