import type { HandlerDefinition, PolicyDefinition } from "./definition.ts";
import { notYetImplemented } from "./not-implemented.ts";
import { IDP_WRAPPER_POLICIES } from "./idp-wrappers.ts";
import { mcpProxyHandler } from "../gateway/mcp-proxy-handler.ts";
import { setHeadersInbound } from "./set-headers-inbound.ts";
import { mcpCapabilityFilterInbound } from "./mcp-capability-filter-inbound.ts";
import { removeHeadersInbound } from "./remove-headers-inbound.ts";
import { setUpstreamApiKeyInbound } from "./set-upstream-api-key-inbound.ts";
import { mcpOAuthInbound } from "./mcp-oauth-inbound.ts";

// The one table that maps policies.json `policyType` / `handler.export` and routes.oas.json
// `handler.export` to our built-in implementations.

export const POLICIES: readonly PolicyDefinition[] = [
  mcpOAuthInbound,
  ...IDP_WRAPPER_POLICIES,
  notYetImplemented("mcp-token-exchange-inbound", "McpTokenExchangeInboundPolicy", "mcp-token-exchange"),
  mcpCapabilityFilterInbound,
  setHeadersInbound,
  removeHeadersInbound,
  setUpstreamApiKeyInbound,
];

export const HANDLERS: readonly HandlerDefinition[] = [mcpProxyHandler];

const byType = new Map(POLICIES.map((p) => [p.policyType, p]));
const byHandlerExport = new Map(HANDLERS.map((h) => [h.exportName, h]));

export function findPolicy(policyType: string): PolicyDefinition | undefined {
  return byType.get(policyType);
}

export function findHandler(exportName: string): HandlerDefinition | undefined {
  return byHandlerExport.get(exportName);
}
