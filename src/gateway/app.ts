import { Hono } from "hono";
import type { GatewayConfig } from "../config/types.ts";
import type { Services } from "./context.ts";
import { compileRoute, instantiatePolicies } from "./pipeline.ts";
import { problemResponse } from "./problem.ts";
import { mountOAuthServer } from "../oauth/server.ts";
import { methodNotAllowed, mcpProxyHandler } from "./mcp-proxy-handler.ts";

export interface Bindings {
  clientAddress: string | undefined;
}
export type GatewayApp = Hono<{ Bindings: Bindings }>;

/** Readiness as the health endpoint reports it; the server owns it and swaps configs. */
export interface Readiness {
  ready: boolean;
  reason?: string;
}

export const HEALTH_LIVE = "/__mcpgw/health/live";
export const HEALTH_READY = "/__mcpgw/health/ready";

/** Liveness and readiness live outside the route space, so no project can shadow them. */
function mountHealth(app: GatewayApp, readiness: () => Readiness): void {
  app.get(HEALTH_LIVE, (c) => c.json({ status: "ok" }));
  app.get(HEALTH_READY, (c) => {
    const r = readiness();
    return c.json(r.ready ? { status: "ready" } : { status: "not_ready", reason: r.reason }, r.ready ? 200 : 503);
  });
}

/** The app served while no valid config has ever loaded: health says why, everything else is 503. */
export function buildUnconfiguredApp(readiness: () => Readiness): GatewayApp {
  const app: GatewayApp = new Hono();
  mountHealth(app, readiness);
  app.all("*", () => problemResponse(503, "The gateway has no valid configuration yet; run `mcpgw validate` to see the problems."));
  return app;
}

/** Build the whole HTTP surface for one config. Called once per (re)load, never per request. */
export function buildApp(config: GatewayConfig, services: Services, readiness: () => Readiness): GatewayApp {
  const app: GatewayApp = new Hono();
  mountHealth(app, readiness);
  mountOAuthServer(app, config, services);
  const policies = instantiatePolicies(config, services);
  // One path may carry several operations ("get" and "post" written separately): group by path.
  const byPath = new Map<string, Map<string, ReturnType<typeof compileRoute>>>();
  for (const route of config.routes) {
    const run = compileRoute(route, config, services, policies);
    const methods = byPath.get(route.path) ?? new Map();
    for (const m of route.methods) methods.set(m, run);
    byPath.set(route.path, methods);
  }
  const mcpPaths = new Set(config.routes.filter((r) => r.handler.exportName === mcpProxyHandler.exportName).map((r) => r.path));
  for (const [path, methods] of byPath) {
    const allow = [...methods.keys()].join(", ");
    app.all(path, (c) => {
      const run = methods.get(c.req.method);
      // An MCP path answers every undeclared method (DELETE on a "get,post" route…) with the seed's 405.
      if (!run) return mcpPaths.has(path) ? methodNotAllowed() : problemResponse(405, `${c.req.method} is not allowed on ${path}.`, {}, { allow });
      return run(c.req.raw, new URL(c.req.url), c.env?.clientAddress);
    });
  }
  app.notFound((c) => problemResponse(404, `No route matches ${c.req.method} ${new URL(c.req.url).pathname}.`));
  return app;
}
