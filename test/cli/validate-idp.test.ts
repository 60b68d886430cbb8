import { describe, expect, it } from "bun:test";
import { runCli } from "../helpers/cli.ts";
import { mcpRoute, MCP_ZUPLO, routesDoc, writeProject } from "../helpers/project.ts";

// `mcpgw validate` on projects using the IdP wrappers: a bad input is an error naming the option with the
// wrapper's own words (Zuplo would only fail the first request), and the reference docs' Auth0 example
// loads unchanged. test/oauth/idp-wrappers.test.ts holds every message; here one per wrapper, end to end.

const UUID = "0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b";

const BAD: [type: string, exportName: string, options: Record<string, unknown>, pointer: string, message: string][] = [
  ["mcp-auth0-oauth-inbound", "McpAuth0OAuthInboundPolicy", { auth0Domain: "https://acme.auth0.com" }, "auth0Domain", "Invalid Auth0 domain (auth0Domain): drop the https:// prefix"],
  ["mcp-clerk-oauth-inbound", "McpClerkOAuthInboundPolicy", { frontendApiUrl: "https://clerk.acme.com/v1" }, "frontendApiUrl", "Invalid Clerk Frontend API URL (frontendApiUrl): give the origin only"],
  ["mcp-cognito-oauth-inbound", "McpCognitoOAuthInboundPolicy", { awsRegion: "eu-west-1", userPoolId: "eu-west-1_A", userPoolDomain: "https://a.example.com" }, "userPoolDomain", "Invalid Cognito user pool domain (userPoolDomain): drop the https:// prefix"],
  ["mcp-entra-oauth-inbound", "McpEntraOAuthInboundPolicy", { tenantId: "common", clientId: UUID }, "tenantId", "Invalid Entra tenant id (tenantId): common, organizations and consumers are not supported"],
  ["mcp-google-oauth-inbound", "McpGoogleOAuthInboundPolicy", { clientId: "my-app" }, "clientId", "Invalid Google client id (clientId)"],
  ["mcp-keycloak-oauth-inbound", "McpKeycloakOAuthInboundPolicy", { keycloakBaseUrl: "https://sso.acme.com/realms/team", realm: "team" }, "keycloakBaseUrl", "remove /realms/… from it"],
  ["mcp-logto-oauth-inbound", "McpLogtoOAuthInboundPolicy", { logtoEndpoint: "https://acme.logto.app/oidc" }, "logtoEndpoint", "Invalid Logto endpoint (logtoEndpoint): remove /oidc"],
  ["mcp-okta-oauth-inbound", "McpOktaOAuthInboundPolicy", { oktaDomain: "https://acme.okta.com" }, "oktaDomain", "Invalid Okta domain (oktaDomain): drop the https:// prefix"],
  ["mcp-onelogin-oauth-inbound", "McpOneLoginOAuthInboundPolicy", { oneLoginSubdomain: "acme.onelogin.com" }, "oneLoginSubdomain", "Invalid OneLogin subdomain (oneLoginSubdomain)"],
  ["mcp-ping-oauth-inbound", "McpPingOAuthInboundPolicy", { environmentId: UUID, region: "us" }, "region", "Invalid PingOne region (region)"],
  ["mcp-workos-oauth-inbound", "McpWorkosOAuthInboundPolicy", { clientId: "sk_test" }, "clientId", "Invalid WorkOS client id (clientId)"],
];

function project(type: string, exportName: string, options: Record<string, unknown>): string {
  return writeProject({
    zuplo: MCP_ZUPLO,
    policies: { policies: [{ name: "idp-oauth", policyType: type, handler: { module: "$import(@zuplo/runtime/mcp-gateway)", export: exportName, options } }] },
    routes: routesDoc({ "/mcp/a": { "get,post": mcpRoute("a", "mcpgw:demo", ["idp-oauth"]) } }),
  });
}

describe("mcpgw validate with the IdP wrappers", () => {
  for (const [type, exportName, options, key, message] of BAD) {
    it(`refuses a bad ${type} input with its message`, async () => {
      const r = await runCli(["validate", "--project", project(type, exportName, { clientId: "abc", clientSecret: "s", ...options })]);
      expect(r.code).toBe(1);
      expect(r.stdout).toContain("error MCPGW_CONFIG_POLICY_OPTIONS_INVALID");
      expect(r.stdout).toContain(`/policies/0/handler/options/${key}`);
      expect(r.stdout).toContain(message);
      expect(r.stdout).toMatch(/invalid \(1 error, 0 warnings\)\.$/);
    });
  }

  it("accepts the reference docs' Auth0 example unchanged ($env values)", async () => {
    const dir = project("mcp-auth0-oauth-inbound", "McpAuth0OAuthInboundPolicy", { auth0Domain: "$env(AUTH0_DOMAIN)", clientId: "$env(AUTH0_CLIENT_ID)", clientSecret: "$env(AUTH0_CLIENT_SECRET)" });
    const r = await runCli(["validate", "--project", dir], { env: { AUTH0_DOMAIN: "acme.us.auth0.com", AUTH0_CLIENT_ID: "client-id", AUTH0_CLIENT_SECRET: "secret" } });
    expect(r.stdout).toMatch(/✓ .*: valid, 1 route, 1 policy \(0 errors, 0 warnings\)\.$/);
    expect(r.code).toBe(0);
  });
});
