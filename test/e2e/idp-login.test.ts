import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { REPO } from "../helpers/cli.ts";
import { startGateway, type GatewayUnderTest } from "../helpers/gateway.ts";
import { gatewayTokenVia, signInAtIdp } from "../helpers/idp-flow.ts";
import { freePort, startOidcIdp, type OidcIdp } from "../helpers/oidc-idp.ts";
import { mcpRoute, MCP_ZUPLO, routesDoc } from "../helpers/project.ts";
import { authorizeUrl, Browser, pkcePair, registerClient } from "../oauth/helpers.ts";

// Sign-in through the team's IdP under `mcpgw start` (serve(…, "start")): node-oidc-provider on
// loopback is the IdP, with PKCE required; people sign in at its form, consent on the gateway's page,
// and the stock SDK client calls tools with the gateway token. The IdP's roles and groups reach the
// capability filter. Browser-side failures (Cancel at the IdP, a replayed or foreign callback) end on
// the gateway's error page with a code and the request id.

const PATH = "/mcp/demo-v1";
const SECRET = "team-idp-client-secret-0123456789";
let idp: OidcIdp;
let gw: GatewayUnderTest;

beforeAll(async () => {
  const port = await freePort();
  idp = await startOidcIdp({
    clientId: "mcpgw",
    clientSecret: SECRET,
    redirectUris: [`http://127.0.0.1:${port}/oauth/callback`],
    accounts: { alice: { email: "alice@example.com", roles: ["admin"], groups: ["eng"] }, bob: { email: "bob@example.com", roles: ["viewer"] } },
    pkceRequired: true,
  });
  gw = await startGateway({
    port,
    zuplo: MCP_ZUPLO,
    env: { IDP_CLIENT_SECRET: SECRET },
    policies: {
      policies: [
        {
          name: "team-oauth",
          policyType: "mcp-oauth-inbound",
          handler: {
            module: "$import(@zuplo/runtime/mcp-gateway)",
            export: "McpOAuthInboundPolicy",
            options: {
              oidc: { issuer: idp.issuer, jwksUrl: `${idp.issuer}/jwks` },
              browserLogin: { url: `${idp.issuer}/auth`, tokenUrl: `${idp.issuer}/token`, clientId: "mcpgw", clientSecret: "$env(IDP_CLIENT_SECRET)", pkce: "S256" },
            },
          },
        },
        {
          name: "by-role",
          policyType: "mcp-capability-filter-inbound",
          handler: {
            module: "$import(@zuplo/runtime/mcp-gateway)",
            export: "McpCapabilityFilterInboundPolicy",
            options: { accessControl: { mode: "rolesAndGroups" }, tools: [{ name: "echo", public: true }, { name: "add", roles: ["viewer", "admin"] }, { name: "get_time", groups: ["eng"] }] },
          },
        },
      ],
    },
    routes: routesDoc({ [PATH]: { "get,post": mcpRoute("demo-mcp-server", "mcpgw:demo", ["team-oauth", "by-role"]) } }),
  });
});
afterAll(async () => {
  await gw?.stop();
  await idp?.stop();
});

async function sdkClient(token: string): Promise<Client> {
  const client = new Client({ name: "idp-e2e", version: "1.0.0" });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${gw.url}${PATH}`), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
  return client;
}

/** Authorize as a fresh client and stop at the IdP's sign-in form. */
async function atIdpForm(browser: Browser) {
  const client = await registerClient(gw.url);
  const { page } = await browser.navigate(authorizeUrl(gw.url, { clientId: client.client_id, challenge: pkcePair().challenge, resource: `${gw.url}${PATH}`, state: "s" }));
  expect(page.url.startsWith(idp.issuer)).toBe(true);
  return page;
}

describe("sign-in through the team's IdP (oidc-provider) under mcpgw start", () => {
  it("prints the redirect URI to register at the IdP when it starts", () => {
    const line = gw.events("mcp_auth_idp_redirect_uri")[0];
    expect(line?.redirectUri).toBe("https://<gateway-host>/oauth/callback");
    expect(line?.msg).toContain("set mcpgw.publicOrigin");
  });

  it("signs a person in at the IdP, shows consent as them, and the SDK client calls tools with the gateway token", async () => {
    const browser = new Browser();
    const form = await atIdpForm(browser);
    const { page: consent } = await signInAtIdp(browser, form, "alice");
    expect(consent.url).toStartWith(`${gw.url}/oauth/setup?request=`);
    expect(consent.body).toContain("Signed in as <strong>alice</strong>");

    const token = await gatewayTokenVia(gw.url, PATH, "alice");
    const client = await sdkClient(token);
    expect((await client.listTools()).tools.map((t) => t.name)).toEqual(["echo", "add", "get_time"]);
    expect((await client.callTool({ name: "add", arguments: { a: 20, b: 22 } })).structuredContent).toEqual({ sum: 42 });
    await client.close();

    const login = gw.events("mcp_auth_browser_login").find((e) => e.subjectId === "alice");
    expect(login).toMatchObject({ loginKind: "federated_oidc", idpHost: new URL(idp.issuer).host });
    // Nothing secret of the sign-in reaches the log: not the client secret, codes or the ID token.
    const text = JSON.stringify(gw.logs);
    expect(text).not.toContain(SECRET);
    expect(text).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\.eyJ/);
  });

  it("gives the capability filter the IdP's roles and groups: bob (viewer, no group) sees less than alice", async () => {
    const bob = await sdkClient(await gatewayTokenVia(gw.url, PATH, "bob"));
    expect((await bob.listTools()).tools.map((t) => t.name)).toEqual(["echo", "add"]);
    await expect(bob.callTool({ name: "get_time", arguments: {} })).rejects.toThrow(/Method not found|-32601/);
    await bob.close();
  });

  it("a browser that already signed in goes straight to consent, without the IdP", async () => {
    const browser = new Browser();
    await gatewayTokenVia(gw.url, PATH, "alice", browser);
    const client = await registerClient(gw.url);
    const { page } = await browser.navigate(authorizeUrl(gw.url, { clientId: client.client_id, challenge: pkcePair().challenge, resource: `${gw.url}${PATH}`, state: "s" }));
    expect(page.url).toStartWith(`${gw.url}/oauth/setup`);
  });

  it("Cancel at the IdP (error=access_denied) ends on the gateway's error page with the code and the request id", async () => {
    const browser = new Browser();
    const { page } = await signInAtIdp(browser, await atIdpForm(browser), "alice", "cancel");
    expect(page.url).toStartWith(`${gw.url}/oauth/callback?`);
    expect(page.status).toBe(403);
    expect(page.headers.get("content-type")).toContain("text/html");
    expect(page.body).toContain("Sign-in did not complete");
    expect(page.body).toContain("You declined, or the identity provider denied the sign-in.");
    expect(page.body).toContain("<code>idp_error: access_denied</code>");
    const event = gw.events("mcp_auth_browser_login_failed").find((e) => e.reasonCode === "idp_error");
    expect(event).toBeDefined();
    expect(page.body).toContain(`Request id: ${event!.requestId}`);
  });

  it("refuses a replayed callback: the state was used", async () => {
    const browser = new Browser();
    const { stoppedAt } = await signInAtIdp(browser, await atIdpForm(browser), "alice", "sign-in", `${gw.url}/oauth/callback`);
    expect(stoppedAt).toBeDefined();
    expect((await browser.request(stoppedAt!.href)).status).toBe(302);
    const replay = await browser.request(stoppedAt!.href);
    expect(replay.status).toBe(400);
    expect(replay.body).toContain("<code>login_state_unknown</code>");
  });

  it("refuses a callback opened in another browser (login CSRF): the login cookie does not match", async () => {
    const browser = new Browser();
    const { stoppedAt } = await signInAtIdp(browser, await atIdpForm(browser), "bob", "sign-in", `${gw.url}/oauth/callback`);
    const victim = await new Browser().request(stoppedAt!.href);
    expect(victim.status).toBe(400);
    expect(victim.body).toContain("<code>login_browser_mismatch</code>");
    expect(victim.headers.get("set-cookie")).toBeNull();
  });

  it("refuses a callback without state", async () => {
    const page = await new Browser().request(`${gw.url}/oauth/callback?code=abc`);
    expect(page.status).toBe(400);
    expect(page.body).toContain("<code>login_state_missing</code>");
  });
});

describe("the stock MCP Inspector CLI through the team's IdP", () => {
  it("registers, has the person sign in at the IdP and consent, and calls a tool", async () => {
    // Its own discovery, DCR, PKCE and token code; $BROWSER is fake-browser.ts signing in as alice.
    const home = mkdtempSync(join(tmpdir(), "mcpgw-inspector-idp-"));
    const browserScript = join(home, "browser.sh");
    writeFileSync(browserScript, `#!/bin/sh\nFAKE_BROWSER_IDP_USER=alice "${process.execPath}" "${join(import.meta.dir, "fake-browser.ts")}" "$1" >>"${home}/browser.log" 2>&1 &\n`);
    chmodSync(browserScript, 0o755);
    const inspector = join(REPO, "node_modules/@modelcontextprotocol/inspector/clients/launcher/build/index.js");
    const proc = Bun.spawn(["node", inspector, "--cli", `${gw.url}${PATH}`, "--transport", "http", "--format", "json", "--method", "tools/call", "--tool-name", "add", "--tool-arg", "a=2", "--tool-arg", "b=40"], {
      env: { PATH: process.env.PATH ?? "", HOME: home, MCP_INSPECTOR_SECRET_STORE: "memory", MCP_AUTO_OPEN_ENABLED: "true", BROWSER: browserScript },
      stdout: "pipe",
      stderr: "pipe",
    });
    const [out, err] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
    expect(out + err).toContain('"sum":42');
    expect(await proc.exited).toBe(0);
    expect(gw.events("mcp_auth_consent_approved").some((e) => e.subjectId === "alice" && String(e.clientId).length > 0)).toBe(true);
  }, 60_000);
});
