import { Hono } from "hono";
import type { AuthorizationServerConfig, GatewayConfig } from "../config/types.ts";
import { reservedPrefixes } from "../config/rules.ts";
import { methodNotAllowed } from "../handlers/mcp-proxy-handler.ts";
import { problemResponse } from "../http/problem.ts";
import { browserLoginFor } from "../oauth/browser-login.ts";
import { oauthServerFor } from "../oauth/context.ts";
import { devLoginKeyFor } from "../oauth/dev-login.ts";
import { mountOAuthServer } from "../oauth/server.ts";
import { MCP_PROXY_HANDLER } from "../schemas/catalog.ts";
import type { Services } from "../services/services.ts";
import { errorFields } from "../log/logger.ts";
import { publicOrigin, type OriginSettings } from "../http/origin.ts";
import type { StoreHealth } from "../store/repositories.ts";
import { consentUpstreams } from "../upstream/consent-upstreams.ts";
import { mountUpstreamConnections } from "../upstream/server.ts";
import { upstreamSpecs, type UpstreamSpec } from "../upstream/spec.ts";
import { hostAllowed, hostPolicy, malformedHost, mcpOptions, misdirected, originAllowed } from "./host-guard.ts";
import { compileRoute, type CompiledRoute } from "./pipeline.ts";
import { rootDocument, rootResponse } from "./root-page.ts";

export interface Bindings {
  clientAddress: string | undefined;
}
/** The hono app behind the gateway: health, the OAuth server, and whatever the route table does not take. */
export type GatewayApp = Hono<{ Bindings: Bindings }>;

/** What the HTTP server calls for each request. */
export interface Gateway {
  fetch(request: Request, bindings: Bindings): Response | Promise<Response>;
}

/** Readiness as the health endpoint reports it; the server owns it and swaps configs. */
export interface Readiness {
  ready: boolean;
  reason?: string;
}

const HEALTH_PREFIX = "/__mcpgw/health/";
export const HEALTH_LIVE = "/__mcpgw/health/live";
export const HEALTH_READY = "/__mcpgw/health/ready";

/**
 * Liveness and readiness live outside the route space, so no project can shadow them. Readiness also
 * asks the store: a full disk or a read-only data dir stops token issuance, so it is reported with its code.
 */
function mountHealth(app: GatewayApp, readiness: () => Readiness, storeHealth?: () => Promise<StoreHealth>): void {
  app.get(HEALTH_LIVE, (c) => c.json({ status: "ok" }));
  app.get(HEALTH_READY, async (c) => {
    const r = readiness();
    if (!r.ready) return c.json({ status: "not_ready", reason: r.reason }, 503);
    const store = await storeHealth?.();
    if (store && !store.ok) return c.json({ status: "not_ready", reason: store.message, code: store.code }, 503);
    return c.json({ status: "ready" });
  });
}

/** The app served while no valid config has ever loaded: health says why, everything else is 503. */
export function buildUnconfiguredApp(readiness: () => Readiness): Gateway {
  const app: GatewayApp = new Hono();
  mountHealth(app, readiness);
  app.all("*", () => problemResponse(503, "The gateway has no valid configuration yet; run `mcpgw validate` to see the problems."));
  return { fetch: (request, bindings) => malformedHost(request) ?? app.fetch(request, bindings) };
}

/**
 * The request path as hono matches it, when it can be looked up as is: up to the query or fragment, and
 * only when it holds no percent-escape (hono decodes those first; such a request takes hono's path).
 */
function plainPath(url: string): string | undefined {
  const start = url.indexOf("/", url.indexOf(":") + 4);
  let end = url.length;
  for (let i = start; i < end; i++) {
    const c = url.charCodeAt(i);
    if (c === 0x25) return undefined;
    if (c === 0x3f || c === 0x23) end = i;
  }
  return url.slice(start, end);
}

/** Characters hono's router reads literally; a path with anything else (`:id`, `*`, `{…}`) stays with it. */
const LITERAL_PATH = /^[A-Za-z0-9\-._~/]+$/;

/** One route path's operations, by HTTP method. */
interface PathRoutes {
  readonly path: string;
  readonly methods: Map<string, CompiledRoute>;
  readonly mcp: boolean;
}

function answer(routes: PathRoutes, settings: OriginSettings, request: Request, url: URL, clientAddress: string | undefined): Promise<Response> | Response {
  // MCP transport spec: a browser Origin that is not ours is refused (DNS rebinding); clients send none.
  // The Host was checked already, so the request's own origin names a host the gateway answers for.
  const origin = request.headers.get("origin");
  if (routes.mcp && origin !== null && !originAllowed(origin, [url.origin, publicOrigin(request, url, settings)])) {
    return problemResponse(403, "Requests from this Origin are not accepted: a web page may not call this MCP server.");
  }
  const run = routes.methods.get(request.method);
  if (run) return run(request, url, clientAddress);
  if (routes.mcp && request.method === "OPTIONS") return mcpOptions([...routes.methods.keys()]);
  // An MCP path answers every undeclared method (DELETE on a "get,post" route…) with the seed's 405.
  if (routes.mcp) return methodNotAllowed();
  return problemResponse(405, `${request.method} is not allowed on ${routes.path}.`, {}, { allow: [...routes.methods.keys()].join(", ") });
}

/** The OAuth authorization server for the project's MCP OAuth policy, and what start-up should say about its login. */
function mountAuthorizationServer(app: GatewayApp, config: GatewayConfig, as: AuthorizationServerConfig, services: Services, upstreams: ReadonlyMap<string, UpstreamSpec>): void {
  const server = oauthServerFor(as, {
    runtime: services.oauth,
    store: services.store,
    observer: services.observer,
    log: services.log,
    mode: services.mode,
    now: services.now,
    basePath: config.settings.basePath,
    devUsers: config.settings.devLogin.users,
    limits: config.settings.oauth,
    rateLimits: services.rateLimits,
    devLoginKey: devLoginKeyFor(services.dataKey),
    clientAborts: services.clientAborts,
    login: (options) => browserLoginFor(options, { fetch: services.fetch, secret: services.dataKey }),
    upstreams: consentUpstreams(upstreams, services.upstream, config.settings.basePath),
  });
  if (server.login.kind === "federated_oidc") {
    // The one value the operator must copy into the IdP's app registration (spec §2.6).
    const origin = config.settings.publicOrigin ?? "https://<gateway-host>";
    const redirectUri = `${origin}${config.settings.basePath}/oauth/callback`;
    const hint = config.settings.publicOrigin ? "" : " (set mcpgw.publicOrigin in zuplo.jsonc to print it exactly)";
    services.log.info("mcp_auth_idp_redirect_uri", `The policy "${as.policyName}" signs people in through ${new URL(as.options.oidc.issuer).host}; register this redirect URI at the identity provider: ${redirectUri}${hint}.`, { policy: as.policyName, redirectUri });
  } else if (services.mode === "start") {
    services.log.warn("mcp_auth_dev_login_disabled", `The policy "${as.policyName}" uses /oauth/dev-login, which answers 403 under \`mcpgw start\`; nobody can sign in.`, { policy: as.policyName });
  }
  mountOAuthServer(app, server, config.settings);
}

/** Build the whole HTTP surface for one config. Called once per (re)load, never per request. */
export interface BuildOptions {
  /** Off only in the test that holds the exact-path lookup equal to hono's routing. */
  readonly exactPathLookup?: boolean;
}

export function buildApp(config: GatewayConfig, services: Services, readiness: () => Readiness, options: BuildOptions = {}): Gateway {
  const app: GatewayApp = new Hono();
  mountHealth(app, readiness, services.storeHealth);
  // Upstream OAuth (issue 21): a reload may change the upstreams, so cached tokens and discovery go.
  services.upstream.configLoaded();
  const upstreams = upstreamSpecs(config, () => services.demoUpstreamUrl());
  if (upstreams.size > 0) mountUpstreamConnections(app, { specs: upstreams, runtime: services.upstream, store: services.store, observer: services.observer, log: services.log, basePath: config.settings.basePath, settings: config.settings });
  if (config.authorizationServer) mountAuthorizationServer(app, config, config.authorizationServer, services, upstreams);
  // GET / names the routes and the docs instead of a bare 404, unless a project route takes "/".
  if (!config.routes.some((r) => r.path === "/")) {
    app.get("/", (c) => rootResponse(c.req.raw, rootDocument(config, publicOrigin(c.req.raw, new URL(c.req.url), config.settings), services.mode, HEALTH_READY)));
  }
  const mcpPaths = new Set(config.routes.filter((r) => r.handler.exportName === MCP_PROXY_HANDLER.exportName).map((r) => r.path));
  // One path may carry several operations ("get" and "post" written separately): group by path.
  const byPath = new Map<string, PathRoutes>();
  for (const route of config.routes) {
    const run = compileRoute(route, config, services);
    let routes = byPath.get(route.path);
    if (!routes) byPath.set(route.path, (routes = { path: route.path, methods: new Map(), mcp: mcpPaths.has(route.path) }));
    for (const m of route.methods) routes.methods.set(m, run);
  }
  const hosts = hostPolicy(config.settings, services.listenHost);
  for (const routes of byPath.values()) app.all(routes.path, (c) => answer(routes, config.settings, c.req.raw, new URL(c.req.url), c.env?.clientAddress));
  app.notFound((c) => problemResponse(404, `No route matches ${c.req.method} ${new URL(c.req.url).pathname}.`));
  // Whatever a handler throws is logged as JSON and answered as a problem, never hono's plain-text 500 and a
  // stack trace on stderr. (MCP routes and OAuth endpoints answer their own failures in their protocol's shape.)
  app.onError((err) => {
    services.log.error("request_failed", "Unhandled error while serving a request.", errorFields(err));
    return problemResponse(500, "The gateway failed while handling this request; see its log.");
  });

  // A literal route path outside the gateway's own prefixes is found by an exact lookup exactly where
  // hono would find it, so those requests (every proxied MCP call) skip the router and its per-request
  // Context. HEAD stays with hono, which answers it as a GET without the body.
  const reserved = reservedPrefixes(config.settings.basePath);
  const direct = new Map(
    options.exactPathLookup === false ? [] : [...byPath].filter(([path]) => LITERAL_PATH.test(path) && !reserved.some((prefix) => path === prefix || path.startsWith(`${prefix}/`))),
  );
  return {
    fetch(request, bindings) {
      const bad = malformedHost(request);
      if (bad) return bad;
      const host = request.headers.get("host");
      // DNS rebinding: only the names the gateway is known by; health probes may use any (a pod IP).
      if (!hostAllowed(hosts, host) && !new URL(request.url).pathname.startsWith(HEALTH_PREFIX)) return misdirected(host);
      const path = request.method === "HEAD" ? undefined : plainPath(request.url);
      const routes = path === undefined ? undefined : direct.get(path);
      if (!routes) return app.fetch(request, bindings);
      return answer(routes, config.settings, request, new URL(request.url), bindings.clientAddress);
    },
  };
}
