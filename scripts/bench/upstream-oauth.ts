// The upstream side of the full-chain target (mcpgw-oauth-exchange-filter): node-oidc-provider as the
// upstream's authorization server, and its protected resource metadata naming the bench upstream, both
// in this process. The gateway gets a real per-user connection the way a person makes one (dev-login →
// consent → Connect → the provider's login and consent → back → Authorize); the bench upstream does not
// check the token, so the load measures the gateway's cost: the vault lookup and the bearer it sets.
import { startUpstreamAuthServer, type UpstreamAuthServer } from "../../test/upstream/peers.ts";
import { connectAndAuthorize } from "../../test/upstream/flow.ts";

export const EXCHANGE_POLICY = "bench-exchange";

export interface UpstreamOAuthPeers {
  readonly as: UpstreamAuthServer;
  /** Where the gateway reads the bench upstream's protected resource metadata. */
  readonly prmUrl: string;
  stop(): Promise<void>;
}

export async function startUpstreamOAuthPeers(upstreamUrl: string): Promise<UpstreamOAuthPeers> {
  const as = await startUpstreamAuthServer({ accessTokenTtl: 3600 });
  const prm = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => Response.json({ resource: upstreamUrl, authorization_servers: [as.issuer], scopes_supported: ["mcp:tools", "offline_access"] }) });
  return {
    as,
    prmUrl: `http://127.0.0.1:${prm.port}/.well-known/oauth-protected-resource`,
    stop: async () => {
      prm.stop(true);
      await as.stop();
    },
  };
}

export function exchangePolicy(prmUrl: string): object {
  return {
    name: EXCHANGE_POLICY,
    policyType: "mcp-token-exchange-inbound",
    handler: {
      module: "$import(@zuplo/runtime/mcp-gateway)",
      export: "McpTokenExchangeInboundPolicy",
      options: { id: "bench", displayName: "Bench upstream", authMode: "user-oauth", scopes: ["mcp:tools", "offline_access"], protectedResourceMetadataUrl: prmUrl },
    },
  };
}

/** A gateway token for `routePath` whose person has connected the bench upstream. */
export async function connectedPersonToken(gatewayOrigin: string, routePath: string): Promise<string> {
  return (await connectAndAuthorize(gatewayOrigin, "dev-browser-user", "bench-person", routePath)).token;
}
