import * as v from "valibot";
import { CapabilityFilterOptionsDocs, CapabilityFilterOptionsSchema } from "../mcp/capability-filter-options.ts";
import type { AuthorizationServerOptions } from "./authorization-server.ts";
import { IDP_WRAPPERS } from "./idp/index.ts";
import { RemoveHeadersDocs, RemoveHeadersOptions, SetHeadersDocs, SetHeadersOptions, SetUpstreamApiKeyDocs, SetUpstreamApiKeyOptions } from "./header-policies.ts";
import { deriveAuthorizationServer, McpOAuthInboundOptionsDocs, McpOAuthInboundOptionsSchema } from "./mcp-oauth-inbound.ts";
import { McpProxyOptionsDocs, McpProxyOptionsSchema } from "./mcp-proxy-handler.ts";
import { McpTokenExchangeInboundOptionsDocs, McpTokenExchangeInboundOptionsSchema } from "./mcp-token-exchange-inbound.ts";
import type { OptionDocs } from "./option-docs.ts";
import { RateLimitInboundOptionsDocs, RateLimitInboundOptionsSchema } from "./rate-limit-inbound.ts";

// Every policy type and handler a project may name, with its options schema: what config/ validates
// against. No runtime here (config must not load the proxy or the OAuth server to validate a project);
// src/gateway/registry.ts pairs each entry with its implementation, and a test holds the two in step.

/** Which MCP role a policy plays; config rules (one OAuth policy, one token exchange per route…) key off this. */
export type PolicyFamily = "mcp-oauth" | "mcp-token-exchange" | "mcp-capability-filter" | "headers" | "rate-limit";

export interface PolicyType<S extends v.GenericSchema = v.GenericSchema> {
  readonly policyType: string;
  readonly exportName: string;
  readonly family: PolicyFamily;
  readonly optionsSchema: S;
  /** False for types recognised so projects load, whose runtime lands in a later version (they answer 501). */
  readonly implemented: boolean;
  /** What the options mean, for docs/reference/policies.md; every implemented type has them. */
  readonly docs?: OptionDocs;
  /** MCP OAuth policies: the authorization server their options describe. */
  readonly authorizationServer?: (options: v.InferOutput<S>) => AuthorizationServerOptions;
}

function policyType<S extends v.GenericSchema>(entry: PolicyType<S>): PolicyType {
  return entry as unknown as PolicyType;
}

/** Recognised so existing Zuplo projects load and validate (options loosely); not implemented yet. */
function pending(type: string, exportName: string, family: PolicyFamily): PolicyType {
  return { policyType: type, exportName, family, optionsSchema: v.looseObject({}), implemented: false };
}

export const POLICY_TYPES: readonly PolicyType[] = [
  policyType({
    policyType: "mcp-oauth-inbound",
    exportName: "McpOAuthInboundPolicy",
    family: "mcp-oauth",
    optionsSchema: McpOAuthInboundOptionsSchema,
    implemented: true,
    docs: McpOAuthInboundOptionsDocs,
    authorizationServer: deriveAuthorizationServer,
  }),
  // The IdP wrappers compose mcp-oauth-inbound with provider-derived OIDC URLs (spec §2.6, src/schemas/idp/).
  ...IDP_WRAPPERS.map((w) =>
    policyType({ policyType: w.policyType, exportName: w.exportName, family: "mcp-oauth", optionsSchema: w.optionsSchema, implemented: true, docs: w.docs, authorizationServer: w.derive }),
  ),
  policyType({ policyType: "mcp-token-exchange-inbound", exportName: "McpTokenExchangeInboundPolicy", family: "mcp-token-exchange", optionsSchema: McpTokenExchangeInboundOptionsSchema, implemented: true, docs: McpTokenExchangeInboundOptionsDocs }),
  policyType({ policyType: "mcp-capability-filter-inbound", exportName: "McpCapabilityFilterInboundPolicy", family: "mcp-capability-filter", optionsSchema: CapabilityFilterOptionsSchema, implemented: true, docs: CapabilityFilterOptionsDocs }),
  policyType({ policyType: "set-headers-inbound", exportName: "SetHeadersInboundPolicy", family: "headers", optionsSchema: SetHeadersOptions, implemented: true, docs: SetHeadersDocs }),
  policyType({ policyType: "remove-headers-inbound", exportName: "RemoveHeadersInboundPolicy", family: "headers", optionsSchema: RemoveHeadersOptions, implemented: true, docs: RemoveHeadersDocs }),
  policyType({ policyType: "set-upstream-api-key-inbound", exportName: "SetUpstreamApiKeyInboundPolicy", family: "headers", optionsSchema: SetUpstreamApiKeyOptions, implemented: true, docs: SetUpstreamApiKeyDocs }),
  policyType({ policyType: "rate-limit-inbound", exportName: "RateLimitInboundPolicy", family: "rate-limit", optionsSchema: RateLimitInboundOptionsSchema, implemented: true, docs: RateLimitInboundOptionsDocs }),
];

export interface HandlerType<S extends v.GenericSchema = v.GenericSchema> {
  readonly exportName: string;
  readonly optionsSchema: S;
  readonly docs: OptionDocs;
}

export const MCP_PROXY_HANDLER = { exportName: "McpProxyHandler", optionsSchema: McpProxyOptionsSchema, docs: McpProxyOptionsDocs } as const satisfies HandlerType;

export const HANDLER_TYPES: readonly HandlerType[] = [MCP_PROXY_HANDLER];

/** Both specifiers Zuplo projects use resolve to our built-ins (the guides use the first, schemas the second). */
export const BUILTIN_MODULES = ["$import(@zuplo/runtime/mcp-gateway)", "$import(@zuplo/runtime)"] as const;

const byType = new Map(POLICY_TYPES.map((p) => [p.policyType, p]));
const byHandlerExport = new Map(HANDLER_TYPES.map((h) => [h.exportName, h]));

export function findPolicyType(type: string): PolicyType | undefined {
  return byType.get(type);
}

export function findHandlerType(exportName: string): HandlerType | undefined {
  return byHandlerExport.get(exportName);
}
