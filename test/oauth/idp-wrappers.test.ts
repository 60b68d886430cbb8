import { describe, expect, it } from "bun:test";
import * as v from "valibot";
import { loadProject } from "../../src/config/load.ts";
import { findPolicyType } from "../../src/schemas/catalog.ts";
import { IMPLEMENTED_POLICY_TYPES } from "../../src/gateway/registry.ts";
import { IDP_WRAPPERS } from "../../src/schemas/idp/index.ts";
import { mcpRoute, MCP_ZUPLO, routesDoc, writeProject } from "../helpers/project.ts";

// The 11 IdP wrapper policies (spec §2.6, federation checklist §A): each derives, once at load, the
// authorization server the generic mcp-oauth-inbound policy would describe. The tables below are the
// spec's derivation table and every validation message, read as a specification.

const SECRET = { clientSecret: "s3cret" };
const UUID = "0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b";

function wrapper(type: string) {
  const w = IDP_WRAPPERS.find((x) => x.policyType === type);
  if (!w) throw new Error(`no wrapper ${type}`);
  return w;
}

function derive(type: string, options: Record<string, unknown>) {
  const w = wrapper(type);
  const r = v.safeParse(w.optionsSchema, options);
  if (!r.success) throw new Error(`${type} refused ${JSON.stringify(options)}: ${r.issues.map((i) => i.message).join("; ")}`);
  return w.derive(r.output);
}

function messages(type: string, options: Record<string, unknown>): string[] {
  const r = v.safeParse(wrapper(type).optionsSchema, options);
  return r.success ? [] : r.issues.map((i) => i.message);
}

interface Derivation {
  readonly type: string;
  readonly options: Record<string, unknown>;
  readonly issuer: string;
  readonly jwksUrl: string;
  readonly authorizationUrl: string;
  readonly tokenUrl: string;
}

const DERIVATIONS: readonly Derivation[] = [
  { type: "mcp-auth0-oauth-inbound", options: { auth0Domain: "acme.us.auth0.com", clientId: "abc" }, issuer: "https://acme.us.auth0.com/", jwksUrl: "https://acme.us.auth0.com/.well-known/jwks.json", authorizationUrl: "https://acme.us.auth0.com/authorize", tokenUrl: "https://acme.us.auth0.com/oauth/token" },
  { type: "mcp-clerk-oauth-inbound", options: { frontendApiUrl: "https://clerk.acme.com", clientId: "abc" }, issuer: "https://clerk.acme.com", jwksUrl: "https://clerk.acme.com/.well-known/jwks.json", authorizationUrl: "https://clerk.acme.com/oauth/authorize", tokenUrl: "https://clerk.acme.com/oauth/token" },
  { type: "mcp-clerk-oauth-inbound", options: { frontendApiUrl: "https://clerk.acme.com/", clientId: "abc" }, issuer: "https://clerk.acme.com", jwksUrl: "https://clerk.acme.com/.well-known/jwks.json", authorizationUrl: "https://clerk.acme.com/oauth/authorize", tokenUrl: "https://clerk.acme.com/oauth/token" },
  {
    type: "mcp-cognito-oauth-inbound",
    options: { awsRegion: "eu-west-1", userPoolId: "eu-west-1_AbC123", userPoolDomain: "acme.auth.eu-west-1.amazoncognito.com", clientId: "abc" },
    issuer: "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123",
    jwksUrl: "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123/.well-known/jwks.json",
    authorizationUrl: "https://acme.auth.eu-west-1.amazoncognito.com/oauth2/authorize",
    tokenUrl: "https://acme.auth.eu-west-1.amazoncognito.com/oauth2/token",
  },
  {
    type: "mcp-entra-oauth-inbound",
    options: { tenantId: UUID, clientId: UUID },
    issuer: `https://login.microsoftonline.com/${UUID}/v2.0`,
    jwksUrl: `https://login.microsoftonline.com/${UUID}/discovery/v2.0/keys`,
    authorizationUrl: `https://login.microsoftonline.com/${UUID}/oauth2/v2.0/authorize`,
    tokenUrl: `https://login.microsoftonline.com/${UUID}/oauth2/v2.0/token`,
  },
  { type: "mcp-google-oauth-inbound", options: { clientId: "123456789012-abc123.apps.googleusercontent.com" }, issuer: "https://accounts.google.com", jwksUrl: "https://www.googleapis.com/oauth2/v3/certs", authorizationUrl: "https://accounts.google.com/o/oauth2/v2/auth", tokenUrl: "https://oauth2.googleapis.com/token" },
  {
    type: "mcp-keycloak-oauth-inbound",
    options: { keycloakBaseUrl: "https://sso.acme.com", realm: "team", clientId: "abc" },
    issuer: "https://sso.acme.com/realms/team",
    jwksUrl: "https://sso.acme.com/realms/team/protocol/openid-connect/certs",
    authorizationUrl: "https://sso.acme.com/realms/team/protocol/openid-connect/auth",
    tokenUrl: "https://sso.acme.com/realms/team/protocol/openid-connect/token",
  },
  {
    type: "mcp-keycloak-oauth-inbound",
    options: { keycloakBaseUrl: "https://sso.acme.com/auth/", realm: "team", clientId: "abc" },
    issuer: "https://sso.acme.com/auth/realms/team",
    jwksUrl: "https://sso.acme.com/auth/realms/team/protocol/openid-connect/certs",
    authorizationUrl: "https://sso.acme.com/auth/realms/team/protocol/openid-connect/auth",
    tokenUrl: "https://sso.acme.com/auth/realms/team/protocol/openid-connect/token",
  },
  { type: "mcp-logto-oauth-inbound", options: { logtoEndpoint: "https://acme.logto.app", clientId: "abc" }, issuer: "https://acme.logto.app/oidc", jwksUrl: "https://acme.logto.app/oidc/jwks", authorizationUrl: "https://acme.logto.app/oidc/auth", tokenUrl: "https://acme.logto.app/oidc/token" },
  { type: "mcp-okta-oauth-inbound", options: { oktaDomain: "acme.okta.com", clientId: "abc" }, issuer: "https://acme.okta.com", jwksUrl: "https://acme.okta.com/oauth2/v1/keys", authorizationUrl: "https://acme.okta.com/oauth2/v1/authorize", tokenUrl: "https://acme.okta.com/oauth2/v1/token" },
  {
    type: "mcp-okta-oauth-inbound",
    options: { oktaDomain: "acme.okta.com", authorizationServerId: "default", clientId: "abc" },
    issuer: "https://acme.okta.com/oauth2/default",
    jwksUrl: "https://acme.okta.com/oauth2/default/v1/keys",
    authorizationUrl: "https://acme.okta.com/oauth2/default/v1/authorize",
    tokenUrl: "https://acme.okta.com/oauth2/default/v1/token",
  },
  { type: "mcp-onelogin-oauth-inbound", options: { oneLoginSubdomain: "acme", clientId: "abc" }, issuer: "https://acme.onelogin.com/oidc/2", jwksUrl: "https://acme.onelogin.com/oidc/2/certs", authorizationUrl: "https://acme.onelogin.com/oidc/2/auth", tokenUrl: "https://acme.onelogin.com/oidc/2/token" },
  { type: "mcp-ping-oauth-inbound", options: { environmentId: UUID, clientId: "abc" }, issuer: `https://auth.pingone.com/${UUID}/as`, jwksUrl: `https://auth.pingone.com/${UUID}/as/jwks`, authorizationUrl: `https://auth.pingone.com/${UUID}/as/authorize`, tokenUrl: `https://auth.pingone.com/${UUID}/as/token` },
  { type: "mcp-ping-oauth-inbound", options: { environmentId: UUID, region: "australia", clientId: "abc" }, issuer: `https://auth.pingone.com.au/${UUID}/as`, jwksUrl: `https://auth.pingone.com.au/${UUID}/as/jwks`, authorizationUrl: `https://auth.pingone.com.au/${UUID}/as/authorize`, tokenUrl: `https://auth.pingone.com.au/${UUID}/as/token` },
  { type: "mcp-ping-oauth-inbound", options: { customDomain: "login.acme.com", region: "europe", clientId: "abc" }, issuer: "https://login.acme.com/as", jwksUrl: "https://login.acme.com/as/jwks", authorizationUrl: "https://login.acme.com/as/authorize", tokenUrl: "https://login.acme.com/as/token" },
  {
    type: "mcp-workos-oauth-inbound",
    options: { clientId: "client_01HZBC6N1EB1ZY7KG32X" },
    issuer: "https://api.workos.com/user_management/client_01HZBC6N1EB1ZY7KG32X",
    jwksUrl: "https://api.workos.com/sso/jwks/client_01HZBC6N1EB1ZY7KG32X",
    authorizationUrl: "https://api.workos.com/user_management/authorize",
    tokenUrl: "https://api.workos.com/user_management/authenticate",
  },
];

const PING_HOSTS: [string, string][] = [
  ["north-america", "auth.pingone.com"],
  ["canada", "auth.pingone.ca"],
  ["europe", "auth.pingone.eu"],
  ["singapore", "auth.pingone.sg"],
  ["australia", "auth.pingone.com.au"],
  ["asia-pacific", "auth.pingone.asia"],
];

describe("IdP wrapper derivations (spec §2.6 table)", () => {
  it("covers all 11 wrappers, each implemented with a runtime and a derivation in the catalog", () => {
    expect(new Set(DERIVATIONS.map((d) => d.type)).size).toBe(11);
    for (const w of IDP_WRAPPERS) {
      const entry = findPolicyType(w.policyType)!;
      expect(entry).toMatchObject({ family: "mcp-oauth", implemented: true, exportName: w.exportName });
      expect(entry.authorizationServer).toBe(w.derive);
      expect(IMPLEMENTED_POLICY_TYPES).toContain(w.policyType);
    }
  });

  for (const d of DERIVATIONS) {
    it(`${d.type} ${JSON.stringify(d.options)}`, () => {
      const as = derive(d.type, { ...d.options, ...SECRET });
      expect(as.oidc.issuer).toBe(d.issuer);
      expect(as.oidc.jwksUrl).toBe(d.jwksUrl);
      expect(as.login).toMatchObject({ kind: "federated_oidc", authorizationUrl: d.authorizationUrl, tokenUrl: d.tokenUrl, clientSecret: "s3cret" });
    });
  }

  it("maps every PingOne region to its host", () => {
    for (const [region, host] of PING_HOSTS) expect(derive("mcp-ping-oauth-inbound", { environmentId: UUID, region, clientId: "a", ...SECRET }).oidc.issuer).toBe(`https://${host}/${UUID}/as`);
  });

  it("fills the common defaults, and takes browserLoginOverrides and gateway TTLs", () => {
    const plain = derive("mcp-okta-oauth-inbound", { oktaDomain: "acme.okta.com", clientId: "abc", ...SECRET });
    expect(plain).toMatchObject({
      login: { scope: "openid profile email", pkce: "none", remoteTimeoutMs: 10_000, tokenEndpointAuthMethod: "client_secret_basic" },
      stateTtlSeconds: 900,
      sessionTtlSeconds: 28_800,
      accessTokenTtlSeconds: 900,
      refreshTokenTtlSeconds: 2_592_000,
      cimdEnabled: true,
    });
    const tuned = derive("mcp-okta-oauth-inbound", {
      oktaDomain: "acme.okta.com",
      clientId: "abc",
      ...SECRET,
      scope: "openid email groups",
      gateway: { accessTokenTtlSeconds: 300, cimdEnabled: false },
      browserLoginOverrides: { pkce: "S256", remoteTimeoutMs: 5000, stateTtlSeconds: 600, sessionTtlSeconds: 3600 },
    });
    expect(tuned).toMatchObject({ login: { scope: "openid email groups", pkce: "S256", remoteTimeoutMs: 5000 }, stateTtlSeconds: 600, sessionTtlSeconds: 3600, accessTokenTtlSeconds: 300, cimdEnabled: false });
  });

  it("Auth0 sends its audience; Google also accepts its scheme-less issuer; WorkOS posts the secret in the body", () => {
    expect(derive("mcp-auth0-oauth-inbound", { auth0Domain: "acme.auth0.com", clientId: "a", audience: "https://api.acme.com", ...SECRET }).login).toMatchObject({ audience: "https://api.acme.com" });
    expect(derive("mcp-google-oauth-inbound", { clientId: "1-a.apps.googleusercontent.com", ...SECRET }).oidc.issuerAliases).toEqual(["accounts.google.com"]);
    expect(derive("mcp-workos-oauth-inbound", { clientId: "client_01", ...SECRET }).login).toMatchObject({ tokenEndpointAuthMethod: "client_secret_post" });
  });
});

// [policy type, options (clientId and clientSecret added unless given), the one message expected]
const REFUSALS: [string, Record<string, unknown>, string | RegExp][] = [
  ["mcp-auth0-oauth-inbound", { auth0Domain: "https://acme.auth0.com" }, "Invalid Auth0 domain (auth0Domain): drop the https:// prefix and give the host only, e.g. your-tenant.us.auth0.com"],
  ["mcp-auth0-oauth-inbound", { auth0Domain: "acme.auth0.com/" }, "Invalid Auth0 domain (auth0Domain): give the host only, without a path or trailing slash, e.g. your-tenant.us.auth0.com"],
  ["mcp-auth0-oauth-inbound", { auth0Domain: "localhost" }, "Invalid Auth0 domain (auth0Domain): expected a host name with a dot, such as your-tenant.us.auth0.com"],
  ["mcp-clerk-oauth-inbound", { frontendApiUrl: "clerk.acme.com" }, "Invalid Clerk Frontend API URL (frontendApiUrl): expected an absolute URL such as https://clerk.example.com"],
  ["mcp-clerk-oauth-inbound", { frontendApiUrl: "http://clerk.acme.com" }, "Invalid Clerk Frontend API URL (frontendApiUrl): use https (http only on 127.0.0.1 or localhost), e.g. https://clerk.example.com"],
  ["mcp-clerk-oauth-inbound", { frontendApiUrl: "https://user:pw@clerk.acme.com" }, "Invalid Clerk Frontend API URL (frontendApiUrl): remove the user name and password from the URL"],
  ["mcp-clerk-oauth-inbound", { frontendApiUrl: "https://clerk.acme.com?x=1" }, "Invalid Clerk Frontend API URL (frontendApiUrl): remove the query string and fragment; give the origin only, e.g. https://clerk.example.com"],
  ["mcp-clerk-oauth-inbound", { frontendApiUrl: "https://clerk.acme.com#x" }, "Invalid Clerk Frontend API URL (frontendApiUrl): remove the query string and fragment; give the origin only, e.g. https://clerk.example.com"],
  ["mcp-clerk-oauth-inbound", { frontendApiUrl: "https://clerk.acme.com/v1" }, "Invalid Clerk Frontend API URL (frontendApiUrl): give the origin only, without a path, e.g. https://clerk.example.com"],
  ["mcp-clerk-oauth-inbound", { frontendApiUrl: "https://clerk.acme.com", browserLoginOverrides: { pkce: "S256" } }, /Invalid key: Expected never but received "pkce"|pkce/],
  ["mcp-cognito-oauth-inbound", { awsRegion: "Europe", userPoolId: "eu-west-1_A", userPoolDomain: "a.auth.eu-west-1.amazoncognito.com" }, "Invalid Cognito region (awsRegion): expected an AWS region code such as us-east-1"],
  ["mcp-cognito-oauth-inbound", { awsRegion: "eu-west-1", userPoolId: "AbC123", userPoolDomain: "a.auth.eu-west-1.amazoncognito.com" }, "Invalid Cognito user pool id (userPoolId): expected the pool id as the console shows it, e.g. us-east-1_AbC123xyZ"],
  ["mcp-cognito-oauth-inbound", { awsRegion: "eu-west-1", userPoolId: "us-east-1_AbC", userPoolDomain: "a.auth.eu-west-1.amazoncognito.com" }, "Invalid Cognito user pool id (userPoolId): the pool belongs to another region than awsRegion; a pool id starts with its region"],
  ["mcp-cognito-oauth-inbound", { awsRegion: "eu-west-1", userPoolId: "eu-west-1_A", userPoolDomain: "https://a.auth.eu-west-1.amazoncognito.com" }, "Invalid Cognito user pool domain (userPoolDomain): drop the https:// prefix, e.g. my-app.auth.us-east-1.amazoncognito.com"],
  ["mcp-cognito-oauth-inbound", { awsRegion: "eu-west-1", userPoolId: "eu-west-1_A", userPoolDomain: "a.auth.eu-west-1.amazoncognito.com/" }, "Invalid Cognito user pool domain (userPoolDomain): give the host only, without a trailing slash or path, e.g. my-app.auth.us-east-1.amazoncognito.com"],
  ["mcp-cognito-oauth-inbound", { awsRegion: "eu-west-1", userPoolId: "eu-west-1_A", userPoolDomain: "my app" }, "Invalid Cognito user pool domain (userPoolDomain): expected a host name such as my-app.auth.us-east-1.amazoncognito.com"],
  ["mcp-entra-oauth-inbound", { tenantId: "common", clientId: UUID }, "Invalid Entra tenant id (tenantId): common, organizations and consumers are not supported; give your Directory (tenant) ID, a UUID"],
  ["mcp-entra-oauth-inbound", { tenantId: "Organizations", clientId: UUID }, "Invalid Entra tenant id (tenantId): common, organizations and consumers are not supported; give your Directory (tenant) ID, a UUID"],
  ["mcp-entra-oauth-inbound", { tenantId: "consumers", clientId: UUID }, "Invalid Entra tenant id (tenantId): common, organizations and consumers are not supported; give your Directory (tenant) ID, a UUID"],
  ["mcp-entra-oauth-inbound", { tenantId: `https://login.microsoftonline.com/${UUID}`, clientId: UUID }, "Invalid Entra tenant id (tenantId): give the Directory (tenant) ID, not a URL"],
  ["mcp-entra-oauth-inbound", { tenantId: "acme.onmicrosoft.com", clientId: UUID }, "Invalid Entra tenant id (tenantId): give the Directory (tenant) ID (a UUID), not a domain name"],
  ["mcp-entra-oauth-inbound", { tenantId: "acme", clientId: UUID }, "Invalid Entra tenant id (tenantId): expected the Directory (tenant) ID, a UUID such as 00000000-0000-0000-0000-000000000000"],
  ["mcp-entra-oauth-inbound", { tenantId: UUID, clientId: "my-app" }, "Invalid Entra client id (clientId): expected the Application (client) ID, a UUID such as 00000000-0000-0000-0000-000000000000"],
  ["mcp-google-oauth-inbound", { clientId: "my-google-app" }, "Invalid Google client id (clientId): expected an OAuth client ID such as 123456789012-abc123def456.apps.googleusercontent.com"],
  ["mcp-keycloak-oauth-inbound", { keycloakBaseUrl: "sso.acme.com", realm: "team" }, "Invalid Keycloak base URL (keycloakBaseUrl): expected an absolute URL such as https://keycloak.example.com (or …/auth on Keycloak 16 and older)"],
  ["mcp-keycloak-oauth-inbound", { keycloakBaseUrl: "http://sso.acme.com", realm: "team" }, "Invalid Keycloak base URL (keycloakBaseUrl): use https (http only on 127.0.0.1 or localhost)"],
  ["mcp-keycloak-oauth-inbound", { keycloakBaseUrl: "https://sso.acme.com/realms/team", realm: "team" }, "Invalid Keycloak base URL (keycloakBaseUrl): remove /realms/… from it and put the realm name in the realm option"],
  ["mcp-keycloak-oauth-inbound", { keycloakBaseUrl: "https://sso.acme.com?x", realm: "team" }, "Invalid Keycloak base URL (keycloakBaseUrl): remove the query string and fragment"],
  ["mcp-keycloak-oauth-inbound", { keycloakBaseUrl: "https://sso.acme.com", realm: "team/x" }, "Invalid Keycloak realm (realm): give the realm's name, e.g. my-realm (no slashes or spaces)"],
  ["mcp-logto-oauth-inbound", { logtoEndpoint: "https://acme.logto.app/oidc" }, "Invalid Logto endpoint (logtoEndpoint): remove /oidc; the gateway adds it, e.g. https://your-tenant.logto.app"],
  ["mcp-logto-oauth-inbound", { logtoEndpoint: "acme.logto.app" }, "Invalid Logto endpoint (logtoEndpoint): expected an absolute URL such as https://your-tenant.logto.app"],
  ["mcp-okta-oauth-inbound", { oktaDomain: "https://acme.okta.com" }, "Invalid Okta domain (oktaDomain): drop the https:// prefix and give the host only, e.g. your-org.okta.com"],
  ["mcp-okta-oauth-inbound", { oktaDomain: "acme.okta.com/oauth2/default" }, "Invalid Okta domain (oktaDomain): give the host only, without a path or trailing slash, e.g. your-org.okta.com"],
  ["mcp-okta-oauth-inbound", { oktaDomain: "acme" }, "Invalid Okta domain (oktaDomain): expected a host name with a dot, such as your-org.okta.com"],
  ["mcp-okta-oauth-inbound", { oktaDomain: "acme.okta.com", authorizationServerId: "https://acme.okta.com/oauth2/default" }, "Invalid Okta authorization server id (authorizationServerId): give the id only, e.g. default or aus1a2b3c4d5e6f7g8h9, not a URL"],
  ["mcp-onelogin-oauth-inbound", { oneLoginSubdomain: "https://acme.onelogin.com" }, "Invalid OneLogin subdomain (oneLoginSubdomain): give the subdomain only, e.g. acme for https://acme.onelogin.com"],
  ["mcp-onelogin-oauth-inbound", { oneLoginSubdomain: "acme.onelogin.com" }, "Invalid OneLogin subdomain (oneLoginSubdomain): give the subdomain only, e.g. acme, not acme.onelogin.com"],
  ["mcp-onelogin-oauth-inbound", { oneLoginSubdomain: "ac_me" }, "Invalid OneLogin subdomain (oneLoginSubdomain): expected letters, digits and dashes, e.g. acme"],
  ["mcp-onelogin-oauth-inbound", { oneLoginSubdomain: "acme", browserLoginOverrides: { pkce: "S256" } }, /pkce/],
  ["mcp-ping-oauth-inbound", {}, "PingOne needs environmentId (or customDomain when the environment has a custom domain)"],
  ["mcp-ping-oauth-inbound", { environmentId: "prod" }, "Invalid PingOne environment id (environmentId): expected the environment's ID, a UUID such as 00000000-0000-0000-0000-000000000000"],
  ["mcp-ping-oauth-inbound", { environmentId: UUID, region: "us" }, "Invalid PingOne region (region): expected one of north-america, canada, europe, singapore, australia, asia-pacific"],
  ["mcp-ping-oauth-inbound", { customDomain: "https://login.acme.com" }, "Invalid PingOne custom domain (customDomain): drop the https:// prefix and give the host only, e.g. auth.example.com"],
  ["mcp-workos-oauth-inbound", { clientId: "sk_test_123" }, "Invalid WorkOS client id (clientId): expected the environment's client ID, which starts with client_ (e.g. client_01HZBC6N1EB1ZY7KG32X)"],
];

describe("IdP wrapper validation messages", () => {
  for (const [type, options, expected] of REFUSALS) {
    it(`${type} refuses ${JSON.stringify(options)}`, () => {
      const got = messages(type, { clientId: "abc", ...SECRET, ...options });
      // One mistake, one message.
      expect(got).toHaveLength(1);
      if (typeof expected === "string") expect(got[0]).toBe(expected);
      else expect(got[0]).toMatch(expected);
    });
  }

  it("every wrapper is strict and needs clientId and clientSecret", () => {
    for (const d of DERIVATIONS) {
      expect(messages(d.type, { ...d.options, ...SECRET, unknownOption: 1 }).length).toBeGreaterThan(0);
      const { clientId: _c, ...withoutClient } = d.options;
      expect(messages(d.type, { ...withoutClient, ...SECRET }).length).toBeGreaterThan(0);
      expect(messages(d.type, d.options).length).toBeGreaterThan(0);
    }
  });
});

describe("IdP wrappers in a project", () => {
  const project = (type: string, exportName: string, options: Record<string, unknown>) =>
    writeProject({
      zuplo: MCP_ZUPLO,
      policies: { policies: [{ name: "idp", policyType: type, handler: { module: "$import(@zuplo/runtime/mcp-gateway)", export: exportName, options } }] },
      routes: routesDoc({ "/mcp/a": { "get,post": mcpRoute("a", "mcpgw:demo", ["idp"]) } }),
    });

  it("loads with the derived authorization server", () => {
    const r = loadProject(project("mcp-okta-oauth-inbound", "McpOktaOAuthInboundPolicy", { oktaDomain: "acme.okta.com", clientId: "abc", clientSecret: "$env(OKTA_SECRET)" }), { env: { OKTA_SECRET: "from-env" } });
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    expect(r.config.authorizationServer?.options.oidc.issuer).toBe("https://acme.okta.com");
    expect(r.config.authorizationServer?.options.login).toMatchObject({ clientSecret: "from-env" });
  });

  it("reports a bad wrapper input at load with the option's pointer and the wrapper's words", () => {
    const r = loadProject(project("mcp-auth0-oauth-inbound", "McpAuth0OAuthInboundPolicy", { auth0Domain: "https://acme.auth0.com", clientId: "a", clientSecret: "b" }), { env: {} });
    expect(r.ok).toBe(false);
    const problem = !r.ok ? r.problems.find((p) => p.code === "MCPGW_CONFIG_POLICY_OPTIONS_INVALID") : undefined;
    expect(problem?.pointer).toBe("/policies/0/handler/options/auth0Domain");
    expect(problem?.message).toContain("Invalid Auth0 domain (auth0Domain): drop the https:// prefix");
  });
});

describe("the docs' examples (docs/idp/*.md)", () => {
  // Plausible values for every $env(...) the pages use, in each IdP's own format.
  const ENV: Record<string, string> = {
    AUTH0_DOMAIN: "acme.us.auth0.com",
    CLERK_FRONTEND_API_URL: "https://clerk.acme.com",
    COGNITO_USER_POOL_ID: "eu-west-1_AbC123",
    ENTRA_TENANT_ID: UUID,
    ENTRA_CLIENT_ID: UUID,
    GOOGLE_CLIENT_ID: "123456789012-abc123.apps.googleusercontent.com",
    LOGTO_ENDPOINT: "https://acme.logto.app",
    OKTA_DOMAIN: "acme.okta.com",
    ONELOGIN_SUBDOMAIN: "acme",
    PING_ENVIRONMENT_ID: UUID,
    WORKOS_CLIENT_ID: "client_01HZBC6N1EB1ZY7KG32X",
  };
  const pages = [...new Bun.Glob("*.md").scanSync(`${import.meta.dir}/../../docs/idp`)].filter((f) => f !== "README.md");

  it("has a page per wrapper and one for the generic policy", () => {
    expect(pages.length).toBe(12);
  });

  for (const page of pages) {
    it(`${page}: the example loads as a project`, async () => {
      const text = await Bun.file(`${import.meta.dir}/../../docs/idp/${page}`).text();
      const block = /```json\n([\s\S]*?)```/.exec(text)?.[1];
      const policies = JSON.parse(block!) as { policies: { name: string }[] };
      const env = new Proxy(ENV, { get: (t, k: string) => t[k] ?? `value-of-${k.toLowerCase()}` });
      const dir = writeProject({
        zuplo: MCP_ZUPLO,
        policies,
        routes: routesDoc({ "/mcp/a": { "get,post": mcpRoute("a", "mcpgw:demo", [policies.policies[0]!.name]) } }),
      });
      const referenced = [...JSON.stringify(policies).matchAll(/\$env\((\w+)\)/g)].map((m) => m[1]!);
      const r = loadProject(dir, { env: Object.fromEntries(referenced.map((k) => [k, env[k]!])) });
      if (!r.ok) throw new Error(`${page}: ${JSON.stringify(r.problems, null, 2)}`);
      expect(r.config.authorizationServer?.options.login.kind).toBe("federated_oidc");
    });
  }
});
