import type { Context, Hono } from "hono";
import type { RouteConfig } from "../config/types.ts";
import { jsonResponse, NO_STORE } from "../http/headers.ts";
import { publicOrigin, type OriginSettings } from "../http/origin.ts";
import { problemResponse } from "../http/problem.ts";
import { isClientAbort } from "../log/client-aborts.ts";
import { errorFields, type LogFields } from "../log/logger.ts";
import type { AuthEventLevel } from "../observe/events.ts";
import { authorize } from "./authorize.ts";
import { decideConsent, showConsent } from "./consent.ts";
import type { OAuthRequest, OAuthServer } from "./context.ts";
import { devLogin, devLoginSubmit } from "./dev-login.ts";
import { endpointErrorResponse, type EndpointKind } from "./endpoint-failure.ts";
import { endpointLimitReached, type LimitedEndpoint } from "./endpoint-limits.ts";
import { OAuthError } from "./errors.ts";
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

/**
 * Discovery documents change only with the configuration, so clients and caches may keep them a while
 * (issue 18: they carried no Cache-Control). They are built from the request's origin; when forwarded
 * headers decide it, a shared cache must key on them too.
 */
function discoveryCaching(settings: OriginSettings): Record<string, string> {
  return { "cache-control": "public, max-age=300", ...(settings.trustForwardedHeaders && !settings.publicOrigin ? { vary: "x-forwarded-host, x-forwarded-proto" } : {}) };
}

export function mountOAuthServer(app: Hono<Env>, server: OAuthServer, settings: OriginSettings): void {
  const base = `${server.basePath}/oauth`;

  const oauthRequest = (c: Ctx): OAuthRequest & { readonly requestId: string } => {
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

  /**
   * Every endpoint runs through here: its per-address limit first (when it has one), then the handler.
   * A refusal or a failure answers in the endpoint's shape (endpoint-failure.ts); a failure is logged as
   * mcp_auth_endpoint_failed with the error, in the JSON log only.
   */
  const guarded =
    (kind: EndpointKind, handler: (req: OAuthRequest, c: Ctx) => Response | Promise<Response>, limit?: LimitedEndpoint) =>
    async (c: Ctx): Promise<Response> => {
      const req = oauthRequest(c);
      try {
        const limited = limit && (await endpointLimitReached(server, req, limit, settings.trustForwardedHeaders));
        if (limited) return endpointErrorResponse(kind, limited, req.requestId);
        return await handler(req, c);
      } catch (err) {
        if (isClientAbort(err)) {
          server.clientAborts.note({ endpoint: req.url.pathname });
          return new Response(null, { status: 400 });
        }
        if (err instanceof OAuthError) {
          req.report("info", "mcp_auth_request_rejected", err.description, { reasonCode: err.code });
        } else {
          req.report("error", "mcp_auth_endpoint_failed", "An OAuth endpoint failed.", errorFields(err));
        }
        return endpointErrorResponse(kind, err, req.requestId);
      }
    };

  // Discovery: CORS-permissive, GET and OPTIONS (spec §1.6).
  const discovery = (build: (req: OAuthRequest) => unknown) =>
    guarded("discovery", (req) => {
      const body = build(req);
      if (body === undefined) return withHeaders(problemResponse(404, `No MCP route protected by OAuth is at ${req.url.pathname}.`), { ...corsHeaders(DISCOVERY_METHODS), ...NO_STORE });
      return jsonResponse(body, 200, { ...corsHeaders(DISCOVERY_METHODS), ...discoveryCaching(settings) });
    });
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
  app.get(`${base}/authorize`, guarded("browser", (req) => authorize(server, req, undefined), "authorize"));
  app.get(
    `${base}/authorize/*`,
    guarded(
      "browser",
      (req) => {
        const route = routeAt(req.url.pathname, `${base}/authorize`);
        if (!route) return problemResponse(404, `No MCP route protected by OAuth is at ${req.url.pathname.slice(`${base}/authorize`.length)}.`);
        return authorize(server, req, route);
      },
      "authorize",
    ),
  );
  app.get(`${base}/dev-login`, guarded("browser", (req) => devLogin(server, req)));
  app.post(`${base}/dev-login`, guarded("browser", (req) => devLoginSubmit(server, req)));
  app.post(`${base}/sign-out`, guarded("browser", (req) => signOut(server, req)));
  // Where an identity provider sends the browser back: the login strategy's business.
  app.get(`${base}/callback`, guarded("browser", (req) => server.login.callback(server, req)));
  app.get(`${base}/setup`, guarded("browser", (req) => showConsent(server, req)));
  app.post(`${base}/setup`, guarded("browser", (req) => decideConsent(server, req)));

  // Client-facing APIs: RFC 6749 JSON errors from the one error module; CORS for browser-based clients.
  for (const [path, handler] of [
    ["token", token],
    ["register", register],
    ["revoke", revoke],
  ] as const) {
    const api = guarded("api", (req) => handler(server, req), path);
    app.options(`${base}/${path}`, () => preflight(API_METHODS));
    app.post(`${base}/${path}`, async (c) => withHeaders(await api(c), corsHeaders(API_METHODS)));
  }
}
