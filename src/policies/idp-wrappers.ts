import type { PolicyDefinition } from "./definition.ts";
import { notYetImplemented } from "./not-implemented.ts";

// The IdP wrappers compose mcp-oauth-inbound with provider-derived OIDC URLs (spec §2.6). They are
// registered now so existing Zuplo projects load; their option checks and derivations land with the
// IdP milestone.
const WRAPPERS: readonly [policyType: string, exportName: string][] = [
  ["mcp-auth0-oauth-inbound", "McpAuth0OAuthInboundPolicy"],
  ["mcp-clerk-oauth-inbound", "McpClerkOAuthInboundPolicy"],
  ["mcp-cognito-oauth-inbound", "McpCognitoOAuthInboundPolicy"],
  ["mcp-entra-oauth-inbound", "McpEntraOAuthInboundPolicy"],
  ["mcp-google-oauth-inbound", "McpGoogleOAuthInboundPolicy"],
  ["mcp-keycloak-oauth-inbound", "McpKeycloakOAuthInboundPolicy"],
  ["mcp-logto-oauth-inbound", "McpLogtoOAuthInboundPolicy"],
  ["mcp-okta-oauth-inbound", "McpOktaOAuthInboundPolicy"],
  ["mcp-onelogin-oauth-inbound", "McpOneLoginOAuthInboundPolicy"],
  ["mcp-ping-oauth-inbound", "McpPingOAuthInboundPolicy"],
  ["mcp-workos-oauth-inbound", "McpWorkosOAuthInboundPolicy"],
];

export const IDP_WRAPPER_POLICIES: readonly PolicyDefinition[] = WRAPPERS.map(([type, exp]) => notYetImplemented(type, exp, "mcp-oauth"));
