import type { GatewayConfig } from "../config/types.ts";
import { clientOrigin, routeDirectory, signInSentence } from "../gateway/route-directory.ts";
import type { LogFields } from "../log/logger.ts";
import { DEMO_UPSTREAM } from "../schemas/mcp-proxy-handler.ts";

// The route_registered lines start-up and each reload write: per route, the URL an MCP client connects
// to, the upstream it reaches, and how a person signs in (issue 19, "the first five minutes").

export interface RouteLine {
  readonly msg: string;
  readonly fields: LogFields;
}

function describeTarget(rewritePattern: string, demoUrl: string | undefined): string {
  if (rewritePattern === DEMO_UPSTREAM) return `${demoUrl ?? "(not started)"} [built-in DEMO upstream: replace it with your MCP server's URL]`;
  return rewritePattern;
}

/** A client on this machine cannot connect to 0.0.0.0 or [::]: name loopback instead. */
const reachable = (listenUrl: string) => listenUrl.replace("//0.0.0.0:", "//127.0.0.1:").replace("//[::]:", "//[::1]:");

/** `listenUrl` is where the gateway listens; `mcpgw.publicOrigin` wins when set. */
export function routeLines(config: GatewayConfig, listenUrl: string, mode: "dev" | "start", demoUrl: string | undefined): RouteLine[] {
  const origin = clientOrigin(config, reachable(listenUrl));
  return routeDirectory(config, origin, mode).map((entry, i) => {
    const route = config.routes[i]!;
    const upstream = describeTarget(route.handler.options.rewritePattern, demoUrl);
    return {
      msg: `${route.methods.join(",")} ${entry.url} → ${upstream}. ${signInSentence(entry.signIn, config, origin)}`,
      fields: { path: route.path, methods: route.methods, operationId: route.operationId, policies: route.inbound, url: entry.url, signIn: entry.signIn },
    };
  });
}
