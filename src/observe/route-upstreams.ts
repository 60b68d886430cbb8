import type { GatewayConfig } from "../config/types.ts";
import { DEMO_UPSTREAM } from "../schemas/mcp-proxy-handler.ts";

// Which upstream each route (operationId) proxies to, as metrics and traces name it. Events carry the
// operationId only; the serving command tells this table about every configuration it loads, so a
// reload that points a route elsewhere is reflected from the next call on.

export interface RouteUpstream {
  /** `host:port` of the rewritePattern, or "demo" for the built-in demo upstream: a bounded label. */
  readonly label: string;
  /** Host and port for trace attributes (server.address, server.port); undefined for the demo. */
  readonly host: string | undefined;
  readonly port: number | undefined;
}

const DEMO: RouteUpstream = { label: "demo", host: undefined, port: undefined };
const UNKNOWN: RouteUpstream = { label: "unknown", host: undefined, port: undefined };

/** The upstream of one rewritePattern. Never its path or query: those may carry keys ($env secrets). */
export function routeUpstream(rewritePattern: string): RouteUpstream {
  if (rewritePattern === DEMO_UPSTREAM) return DEMO;
  const url = new URL(rewritePattern);
  const port = Number(url.port) || (url.protocol === "https:" ? 443 : 80);
  return { label: `${url.hostname}:${port}`, host: url.hostname, port };
}

export class RouteUpstreams {
  private byOperationId: ReadonlyMap<string, RouteUpstream> = new Map();

  /** Called with each configuration the gateway starts serving. */
  update(config: GatewayConfig): void {
    this.byOperationId = new Map(config.routes.map((r) => [r.operationId, routeUpstream(r.handler.options.rewritePattern)]));
  }

  /** The route's upstream; "unknown" for an operationId no loaded configuration has (yet). */
  of(operationId: unknown): RouteUpstream {
    return (typeof operationId === "string" && this.byOperationId.get(operationId)) || UNKNOWN;
  }
}
