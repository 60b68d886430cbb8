import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { spawnCli, type CliRun } from "../helpers/cli.ts";
import { startGateway, type GatewayUnderTest } from "../helpers/gateway.ts";
import { gatewayTokenVia } from "../helpers/idp-flow.ts";
import { freePort, startOidcIdp, type OidcIdp } from "../helpers/oidc-idp.ts";
import { mcpRoute, MCP_ZUPLO, routesDoc, writeProject } from "../helpers/project.ts";
import { Browser } from "../oauth/helpers.ts";

// Two wrappers end to end, with node-oidc-provider mounted at exactly the paths each wrapper derives:
// Keycloak's realm layout (/realms/{realm}/protocol/openid-connect/{auth,token,certs}, over http on
// loopback, in process under `mcpgw start`), and an Okta custom authorization server
// (https://{oktaDomain}/oauth2/{id}/v1/{authorize,token,keys}: Okta URLs are always https, so the IdP
// serves TLS with a CA made by openssl for this run, and the real `mcpgw start` CLI runs with that CA in
// NODE_EXTRA_CA_CERTS). Each signs a person in, and the capability filter reads that IdP's role or
// group claim (Keycloak's nested realm_access.roles, Okta's groups).

const PATH = "/mcp/demo-v1";

function filterPolicy(accessControl: Record<string, unknown>) {
  return {
    name: "by-role",
    policyType: "mcp-capability-filter-inbound",
    handler: {
      module: "$import(@zuplo/runtime/mcp-gateway)",
      export: "McpCapabilityFilterInboundPolicy",
      options: { accessControl: { mode: "rolesAndGroups", ...accessControl }, tools: [{ name: "echo", public: true }, { name: "add", roles: ["mcp-user"], groups: ["eng"] }] },
    },
  };
}

function project(idpPolicy: object, accessControl: Record<string, unknown>) {
  return {
    zuplo: MCP_ZUPLO,
    policies: { policies: [idpPolicy, filterPolicy(accessControl)] },
    routes: routesDoc({ [PATH]: { "get,post": mcpRoute("demo-mcp-server", "mcpgw:demo", ["team-idp", "by-role"]) } }),
  };
}

async function toolNames(gatewayUrl: string, token: string): Promise<string[]> {
  const client = new Client({ name: "wrapper-e2e", version: "1.0.0" });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${gatewayUrl}${PATH}`), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
  const names = (await client.listTools()).tools.map((t) => t.name);
  await client.close();
  return names;
}

describe("mcp-keycloak-oauth-inbound against a Keycloak-shaped IdP", () => {
  let idp: OidcIdp;
  let gw: GatewayUnderTest;

  beforeAll(async () => {
    const port = await freePort();
    idp = await startOidcIdp({
      mountPath: "/realms/team",
      routes: { authorization: "/protocol/openid-connect/auth", token: "/protocol/openid-connect/token", jwks: "/protocol/openid-connect/certs" },
      clientId: "mcpgw",
      clientSecret: "keycloak-client-secret",
      redirectUris: [`http://127.0.0.1:${port}/oauth/callback`],
      accounts: { erin: { realm_access: { roles: ["mcp-user"] } }, frank: { realm_access: { roles: ["offline_access"] } } },
      pkceRequired: true,
    });
    gw = await startGateway({
      port,
      ...project(
        {
          name: "team-idp",
          policyType: "mcp-keycloak-oauth-inbound",
          handler: {
            module: "$import(@zuplo/runtime/mcp-gateway)",
            export: "McpKeycloakOAuthInboundPolicy",
            options: { keycloakBaseUrl: idp.origin, realm: "team", clientId: "mcpgw", clientSecret: "keycloak-client-secret", browserLoginOverrides: { pkce: "S256" } },
          },
        },
        { roleClaim: "realm_access.roles" },
      ),
    });
  });
  afterAll(async () => {
    await gw?.stop();
    await idp?.stop();
  });

  it("signs people in through the derived realm URLs; the filter reads realm_access.roles", async () => {
    expect(idp.issuer).toBe(`${idp.origin}/realms/team`);
    expect(await toolNames(gw.url, await gatewayTokenVia(gw.url, PATH, "erin"))).toEqual(["echo", "add"]);
    expect(await toolNames(gw.url, await gatewayTokenVia(gw.url, PATH, "frank"))).toEqual(["echo"]);
    expect(idp.jwksFetches).toBe(1);
    expect(gw.events("mcp_auth_browser_login").map((e) => e.subjectId)).toEqual(["erin", "frank"]);
  });
});

describe("mcp-okta-oauth-inbound against an Okta-shaped IdP over https, under the mcpgw start CLI", () => {
  let idp: OidcIdp;
  let gw: CliRun;
  let gatewayUrl: string;
  let ca: string;

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), "mcpgw-okta-"));
    const openssl = (...args: string[]) => {
      const run = Bun.spawnSync(["openssl", ...args], { cwd: dir, stderr: "pipe" });
      if (run.exitCode !== 0) throw new Error(`openssl ${args.join(" ")}: ${run.stderr.toString()}`);
    };
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "1", "-subj", "/CN=okta-test-ca");
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "idp.key", "-out", "idp.csr", "-subj", "/CN=idp");
    writeFileSync(join(dir, "idp.ext"), "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n");
    openssl("x509", "-req", "-in", "idp.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", "idp.crt", "-days", "1", "-extfile", "idp.ext");

    ca = readFileSync(join(dir, "ca.crt"), "utf8");
    const port = await freePort();
    idp = await startOidcIdp({
      mountPath: "/oauth2/default",
      routes: { authorization: "/v1/authorize", token: "/v1/token", jwks: "/v1/keys" },
      tls: { key: readFileSync(join(dir, "idp.key"), "utf8"), cert: readFileSync(join(dir, "idp.crt"), "utf8") },
      clientId: "0oa1okta",
      clientSecret: "okta-client-secret",
      redirectUris: [`http://127.0.0.1:${port}/oauth/callback`],
      accounts: { gina: { groups: ["eng", "Everyone"] }, hal: { groups: ["Everyone"] } },
    });
    const projectDir = writeProject(
      project(
        {
          name: "team-idp",
          policyType: "mcp-okta-oauth-inbound",
          handler: {
            module: "$import(@zuplo/runtime/mcp-gateway)",
            export: "McpOktaOAuthInboundPolicy",
            options: { oktaDomain: new URL(idp.origin).host, authorizationServerId: "default", clientId: "0oa1okta", clientSecret: "$env(OKTA_CLIENT_SECRET)" },
          },
        },
        {},
      ),
    );
    gw = spawnCli(["start", "--project", projectDir, "--port", String(port), "--data-dir", join(dir, "data")], {
      env: { NODE_EXTRA_CA_CERTS: join(dir, "ca.crt"), OKTA_CLIENT_SECRET: "okta-client-secret" },
    });
    gatewayUrl = await gw.url();
  });
  afterAll(async () => {
    await gw?.stop();
    await idp?.stop();
  });

  it("derives https://{oktaDomain}/oauth2/default/v1/… and signs people in; the filter reads Okta's groups claim", async () => {
    expect(idp.issuer).toBe(`${idp.origin}/oauth2/default`);
    expect(idp.issuer).toStartWith("https://");
    const redirect = await gw.waitFor((e) => e.event === "mcp_auth_idp_redirect_uri");
    expect(redirect.redirectUri).toBe("https://<gateway-host>/oauth/callback");
    expect(await toolNames(gatewayUrl, await gatewayTokenVia(gatewayUrl, PATH, "gina", new Browser({ tls: { ca } })))).toEqual(["echo", "add"]);
    expect(await toolNames(gatewayUrl, await gatewayTokenVia(gatewayUrl, PATH, "hal", new Browser({ tls: { ca } })))).toEqual(["echo"]);
    const login = await gw.waitFor((e) => e.event === "mcp_auth_browser_login" && e.subjectId === "hal");
    expect(login).toMatchObject({ loginKind: "federated_oidc", idpHost: new URL(idp.origin).host });
  });
});
