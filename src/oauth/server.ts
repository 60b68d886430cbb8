import type { Context, Hono } from "hono";
import type { RouteConfig } from "../config/types.ts";
import { jsonResponse } from "../http/headers.ts";
import { publicOrigin, type OriginSettings } from "../http/origin.ts";
import { problemResponse } from "../http/problem.ts";
import { errorFields, type LogFields } from "../log/logger.ts";
import type { AuthEventLevel } from "../observe/events.ts";
import { authorize } from "./authorize.ts";
import { decideConsent, showConsent } from "./consent.ts";
import type { OAuthRequest, OAuthServer } from "./context.ts";
import { devLogin, devLoginSubmit } from "./dev-login.ts";
import { asOAuthError, oauthErrorResponse, OAuthError } from "./errors.ts";
import { corsHeaders, preflight, withHeaders } from "./http.ts";
import { authorizationServerMetadata, protectedResourceMetadata } from "./metadata.ts";
import { register } from "./register.ts";
import { revoke } from "./revoke.ts";
import { signOut } from "./sign-out.ts";
import { token } from "./token.ts";

// Mounts the gateway-wide OAuth surface (spec §1.6) for one config: discovery documents at the origin
// root, the authorization server under `{basePath}/oauth`. The gateway mounts it only when a route uses
// an MCP OAuth policy (config.authorizationServer).

const PRM_PREFIX = "/.well-known/oauth-protected-resource";
const ASM_PREFIX = "/.well-known/oauth-authorization-server";
const DISCOVERY_METHODS = "GET, OPTIONS";
const API_METHODS = "POST, OPTIONS";

type Env = { Bindings: { clientAddress: string | undefined } };
type Ctx = Context<Env>;

export function mountOAuthServer(app: Hono<Env>, server: OAuthServer, settings: OriginSettings): void {
  const base = `${server.basePath}/oauth`;

  const oauthRequest = (c: Ctx): OAuthRequest => {
    const url = new URL(c.req.url);
    const requestId = crypto.randomUUID();
    const log = server.log.child({ requestId, endpoint: url.pathname });
    return {
      requestId,
      request: c.req.raw,
      url,
      origin: publicOrigin(c.req.raw, url, settings),
      clientAddress: c.env?.clientAddress,
      log,
      report: (level: AuthEventLevel, name: string, message: string, fields?: LogFields) => server.observer.auth(log, level, name, message, fields),
    };
  };
  const routeAt = (path: string, prefix: string): RouteConfig | undefined => server.routes.find((r) => r.path === path.slice(prefix.length));

  // Discovery: CORS-permissive, GET and OPTIONS (spec §1.6).
  const discovery = (build: (req: OAuthRequest) => unknown) => (c: Ctx) => {
    const req = oauthRequest(c);
    const body = build(req);
    if (body === undefined) return withHeaders(problemResponse(404, `No MCP route protected by OAuth is at ${req.url.pathname}.`), corsHeaders(DISCOVERY_METHODS));
    return jsonResponse(body, 200, corsHeaders(DISCOVERY_METHODS));
  };
  for (const path of [`${PRM_PREFIX}/*`, ASM_PREFIX, `${ASM_PREFIX}/*`]) app.options(path, () => preflight(DISCOVERY_METHODS));
  app.get(
    `${PRM_PREFIX}/*`,
    discovery((req) => {
      const route = routeAt(req.url.pathname, PRM_PREFIX);
      return route && protectedResourceMetadata(req.origin, route);
    }),
  );
  const asMetadata = (req: OAuthRequest, route: RouteConfig | undefined) =>
    authorizationServerMetadata({ origin: req.origin, basePath: server.basePath, route, cimdEnabled: server.options.cimdEnabled, loginKind: server.login.kind });
  app.get(ASM_PREFIX, discovery((req) => asMetadata(req, undefined)));
  app.get(
    `${ASM_PREFIX}/*`,
    discovery((req) => {
      const route = routeAt(req.url.pathname, ASM_PREFIX);
      return route && asMetadata(req, route);
    }),
  );

  // Browser endpoints: HTML pages and redirects, never CORS.
  app.get(`${base}/authorize`, (c) => authorize(server, oauthRequest(c), undefined));
  app.get(`${base}/authorize/*`, (c) => {
    const req = oauthRequest(c);
    const route = routeAt(req.url.pathname, `${base}/authorize`);
    if (!route) return problemResponse(404, `No MCP route protected by OAuth is at ${req.url.pathname.slice(`${base}/authorize`.length)}.`);
    return authorize(server, req, route);
  });
  app.get(`${base}/dev-login`, (c) => devLogin(server, oauthRequest(c)));
  app.post(`${base}/dev-login`, (c) => devLoginSubmit(server, oauthRequest(c)));
  app.post(`${base}/sign-out`, (c) => signOut(server, oauthRequest(c)));
  // Where an identity provider sends the browser back: the login strategy's business.
  app.get(`${base}/callback`, (c) => server.login.callback(server, oauthRequest(c)));
  app.get(`${base}/setup`, (c) => showConsent(server, oauthRequest(c)));
  app.post(`${base}/setup`, (c) => decideConsent(server, oauthRequest(c)));

  // Client-facing APIs: RFC 6749 JSON errors from the one error module; CORS for browser-based clients.
  const api = (handler: (server: OAuthServer, req: OAuthRequest) => Promise<Response>) => async (c: Ctx) => {
    const req = oauthRequest(c);
    let response: Response;
    try {
      response = await handler(server, req);
    } catch (err) {
      if (!(err instanceof OAuthError)) req.report("error", "mcp_auth_endpoint_failed", "An OAuth endpoint failed.", errorFields(err));
      const e = asOAuthError(err);
      if (err instanceof OAuthError) req.report("info", "mcp_auth_request_rejected", e.description, { reasonCode: e.code });
      response = oauthErrorResponse(e);
    }
    return withHeaders(response, corsHeaders(API_METHODS));
  };
  for (const [path, handler] of [
    ["token", token],
    ["register", register],
    ["revoke", revoke],
  ] as const) {
    app.options(`${base}/${path}`, () => preflight(API_METHODS));
    app.post(`${base}/${path}`, api(handler));
  }
}
