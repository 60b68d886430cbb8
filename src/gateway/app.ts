import { Hono } from "hono";
import type { AuthorizationServerConfig, GatewayConfig } from "../config/types.ts";
import { reservedPrefixes } from "../config/rules.ts";
import { methodNotAllowed } from "../handlers/mcp-proxy-handler.ts";
import { problemResponse } from "../http/problem.ts";
import { browserLoginFor } from "../oauth/browser-login.ts";
import { oauthServerFor } from "../oauth/context.ts";
import { mountOAuthServer } from "../oauth/server.ts";
import { MCP_PROXY_HANDLER } from "../schemas/catalog.ts";
import type { Services } from "../services/services.ts";
import type { StoreHealth } from "../store/repositories.ts";
import { hostAllowed, hostPolicy, misdirected, originAllowed, type HostPolicy } from "./host-guard.ts";
import { compileRoute, type CompiledRoute } from "./pipeline.ts";

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
  return app;
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

function answer(routes: PathRoutes, hosts: HostPolicy, request: Request, url: URL, clientAddress: string | undefined): Promise<Response> | Response {
  // MCP transport spec: a browser Origin that is not ours is refused (DNS rebinding); clients send none.
  if (routes.mcp && !originAllowed(hosts, request.headers.get("origin"))) {
    return problemResponse(403, "Requests from this Origin are not accepted: a web page may not call this MCP server.");
  }
  const run = routes.methods.get(request.method);
  if (run) return run(request, url, clientAddress);
  // An MCP path answers every undeclared method (DELETE on a "get,post" route…) with the seed's 405.
  if (routes.mcp) return methodNotAllowed();
  return problemResponse(405, `${request.method} is not allowed on ${routes.path}.`, {}, { allow: [...routes.methods.keys()].join(", ") });
}

/** The OAuth authorization server for the project's MCP OAuth policy, and what start-up should say about its login. */
function mountAuthorizationServer(app: GatewayApp, config: GatewayConfig, as: AuthorizationServerConfig, services: Services): void {
  const server = oauthServerFor(as, {
    runtime: services.oauth,
    store: services.store,
    observer: services.observer,
    log: services.log,
    mode: services.mode,
    now: services.now,
    basePath: config.settings.basePath,
    devUsers: config.settings.devLogin.users,
    login: browserLoginFor,
  });
  const unavailable = server.login.unavailable();
  if (unavailable !== undefined) {
    services.log.warn("mcp_auth_federated_login_unavailable", `The policy "${as.policyName}" uses a federated browserLogin; ${unavailable} /oauth/authorize will answer server_error.`, { policy: as.policyName });
  } else if (server.login.kind === "local_dev" && services.mode === "start") {
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
  if (config.authorizationServer) mountAuthorizationServer(app, config, config.authorizationServer, services);
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
  for (const routes of byPath.values()) app.all(routes.path, (c) => answer(routes, hosts, c.req.raw, new URL(c.req.url), c.env?.clientAddress));
  app.notFound((c) => problemResponse(404, `No route matches ${c.req.method} ${new URL(c.req.url).pathname}.`));

  // A literal route path outside the gateway's own prefixes is found by an exact lookup exactly where
  // hono would find it, so those requests (every proxied MCP call) skip the router and its per-request
  // Context. HEAD stays with hono, which answers it as a GET without the body.
  const reserved = reservedPrefixes(config.settings.basePath);
  const direct = new Map(
    options.exactPathLookup === false ? [] : [...byPath].filter(([path]) => LITERAL_PATH.test(path) && !reserved.some((prefix) => path === prefix || path.startsWith(`${prefix}/`))),
  );
  return {
    fetch(request, bindings) {
      const host = request.headers.get("host");
      // DNS rebinding: only the names the gateway is known by; health probes may use any (a pod IP).
      if (!hostAllowed(hosts, host) && !new URL(request.url).pathname.startsWith(HEALTH_PREFIX)) return misdirected(host);
      const path = request.method === "HEAD" ? undefined : plainPath(request.url);
      const routes = path === undefined ? undefined : direct.get(path);
      if (!routes) return app.fetch(request, bindings);
      return answer(routes, hosts, request, new URL(request.url), bindings.clientAddress);
    },
  };
}
