import type { Context } from "hono";
import type { GatewayConfig, RouteConfig } from "../config/types.ts";
import type { GatewayApp } from "../gateway/app.ts";
import type { Services } from "../gateway/context.ts";
import { publicOrigin } from "../gateway/origin.ts";
import { problemResponse } from "../gateway/problem.ts";
import { errorFields } from "../log/logger.ts";
import { authorize } from "./authorize.ts";
import { decideConsent, showConsent } from "./consent.ts";
import { oauthServerFor, type OAuthRequest, type OAuthServer } from "./context.ts";
import { devLogin } from "./dev-login.ts";
import { asOAuthError, oauthErrorResponse, OAuthError } from "./errors.ts";
import { corsHeaders, jsonResponse, preflight, withHeaders } from "./http.ts";
import { authorizationServerMetadata, protectedResourceMetadata } from "./metadata.ts";
import { register } from "./register.ts";
import { revoke } from "./revoke.ts";
import { token } from "./token.ts";

// Mounts the gateway-wide OAuth surface (spec §1.6) for one config: discovery documents at the origin
// root, the authorization server under `{basePath}/oauth`. Nothing is mounted when no route uses the
// mcp-oauth-inbound policy.

const PRM_PREFIX = "/.well-known/oauth-protected-resource";
const ASM_PREFIX = "/.well-known/oauth-authorization-server";
const DISCOVERY_METHODS = "GET, OPTIONS";
const API_METHODS = "POST, OPTIONS";

type Ctx = Context<{ Bindings: { clientAddress: string | undefined } }>;

export function mountOAuthServer(app: GatewayApp, config: GatewayConfig, services: Services): void {
  const server = oauthServerFor(config, services);
  if (!server) return;
  const base = `${server.basePath}/oauth`;

  const oauthRequest = (c: Ctx): OAuthRequest => {
    const url = new URL(c.req.url);
    return {
      request: c.req.raw,
      url,
      origin: publicOrigin(c.req.raw, url, config.settings),
      clientAddress: c.env?.clientAddress,
      log: services.log.child({ requestId: crypto.randomUUID(), endpoint: url.pathname }),
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
    authorizationServerMetadata({ origin: req.origin, basePath: server.basePath, route, cimdEnabled: server.options.gateway.cimdEnabled, loginKind: server.loginKind });
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
  app.get(`${base}/setup`, (c) => showConsent(server, oauthRequest(c)));
  app.post(`${base}/setup`, (c) => decideConsent(server, oauthRequest(c)));

  // Client-facing APIs: RFC 6749 JSON errors from the one error module; CORS for browser-based clients.
  const api = (handler: (server: OAuthServer, req: OAuthRequest) => Promise<Response>) => async (c: Ctx) => {
    const req = oauthRequest(c);
    let response: Response;
    try {
      response = await handler(server, req);
    } catch (err) {
      if (!(err instanceof OAuthError)) req.log.error("mcp_auth_endpoint_failed", "An OAuth endpoint failed.", errorFields(err));
      const e = asOAuthError(err);
      if (err instanceof OAuthError) req.log.info("mcp_auth_request_rejected", e.description, { reasonCode: e.code });
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
