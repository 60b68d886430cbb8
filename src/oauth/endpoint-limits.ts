import { addressKey, clientAddressOf } from "../http/client-address.ts";
import type { OAuthRequest, OAuthServer } from "./context.ts";
import { TemporarilyUnavailable } from "./errors.ts";

// Built-in per-address limits on the authorization server's unauthenticated endpoints (issue 18: 2,663
// registrations a second filled the disk). Settings: mcpgw.oauth.rateLimits; counters: the process's
// RateLimitStore, under keys of their own (no rate-limit-inbound policy name can start with "oauth:").

export type LimitedEndpoint = "register" | "authorize" | "token" | "revoke";

/** Revocation counts against the token endpoint's setting (same clients, same cadence). */
const SETTING = { register: "register", authorize: "authorize", token: "token", revoke: "token" } as const;

/** A 429 TemporarilyUnavailable when this client address has used up `endpoint`'s budget; undefined otherwise. */
export async function endpointLimitReached(server: OAuthServer, req: OAuthRequest, endpoint: LimitedEndpoint, trustForwardedHeaders: boolean): Promise<TemporarilyUnavailable | undefined> {
  const limit = server.limits.rateLimits[SETTING[endpoint]];
  if (limit === false) return undefined;
  const address = addressKey(clientAddressOf(req.request, req.clientAddress, trustForwardedHeaders));
  const decision = await server.rateLimits.consume(`oauth:${endpoint}:${address}`, { requestsAllowed: limit.requestsAllowed, windowMs: Math.round(limit.timeWindowMinutes * 60_000) }, server.now());
  if (decision.allowed) return undefined;
  const retryAfter = Math.ceil(decision.retryAfterMs / 1000);
  req.report("info", "mcp_auth_rate_limited", `Too many ${endpoint} requests from one address; refused for ${retryAfter} s.`, { limitedEndpoint: endpoint, clientAddress: address, retryAfterSeconds: retryAfter });
  return new TemporarilyUnavailable(`Too many requests to this endpoint from your address; retry after ${retryAfter} seconds.`, 429, retryAfter);
}
