import type { PolicyDefinition } from "../policies/definition.ts";
import { mcpCapabilityFilterInbound } from "../policies/mcp-capability-filter-inbound.ts";
import { mcpOAuthInbound, mcpOAuthResourceServer } from "../policies/mcp-oauth-inbound.ts";
import { mcpTokenExchangeInbound } from "../policies/mcp-token-exchange-inbound.ts";
import { rateLimitInbound } from "../policies/rate-limit-inbound.ts";
import { removeHeadersInbound } from "../policies/remove-headers-inbound.ts";
import { setHeadersInbound } from "../policies/set-headers-inbound.ts";
import { setUpstreamApiKeyInbound } from "../policies/set-upstream-api-key-inbound.ts";
import { IDP_WRAPPERS } from "../schemas/idp/index.ts";

// The runtime of each implemented policy type in src/schemas/catalog.ts (test/gateway/registry.test.ts
// holds the two in step). A type the catalog lists as not implemented answers 501 (pipeline.ts).

const POLICY_RUNTIMES: readonly PolicyDefinition[] = [
  mcpOAuthInbound,
  // Every IdP wrapper's request step is the same resource-server check; only its sign-in differs.
  ...IDP_WRAPPERS.map((w) => mcpOAuthResourceServer(w.policyType, w.optionsSchema)),
  mcpTokenExchangeInbound,
  mcpCapabilityFilterInbound,
  setHeadersInbound,
  removeHeadersInbound,
  setUpstreamApiKeyInbound,
  rateLimitInbound,
];

const byType = new Map(POLICY_RUNTIMES.map((p) => [p.policyType, p]));

export function policyRuntime(policyType: string): PolicyDefinition | undefined {
  return byType.get(policyType);
}

export const IMPLEMENTED_POLICY_TYPES: readonly string[] = POLICY_RUNTIMES.map((p) => p.policyType);
