import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { RunningGateway } from "../../src/cli/serve.ts";
import { Browser, authorizeUrl, oauthPolicy, OAUTH_POLICY, pkcePair, postForm, registerClient, REDIRECT_URI, startGateway } from "../oauth/helpers.ts";
import { mcpRoute, MCP_ZUPLO, routesDoc, writeProject } from "../helpers/project.ts";

// Per-person access through the whole real chain: two people sign in through dev-login's local
// identities (mcpgw.devLogin.users) with different roles, get their own tokens through the OAuth flow,
// and the capability filter shows each only what their roles allow.
const PATH = "/mcp/demo-v1";
let gw: RunningGateway;

beforeAll(async () => {
  const dir = writeProject({
    zuplo: { ...MCP_ZUPLO, mcpgw: { devLogin: { users: { alice: { roles: ["admin"], groups: ["eng"] }, bob: { "https://example.com/roles": "viewer" } } } } },
    policies: {
      policies: [
        oauthPolicy(),
        {
          name: "by-role",
          policyType: "mcp-capability-filter-inbound",
          handler: {
            module: "$import(@zuplo/runtime/mcp-gateway)",
            export: "McpCapabilityFilterInboundPolicy",
            options: {
              accessControl: { mode: "rolesAndGroups", roleClaim: "https://example.com/roles" },
              tools: [{ name: "echo", public: true }, { name: "add", roles: ["viewer"], groups: ["eng"] }, { name: "get_time", groups: ["eng"] }],
            },
          },
        },
      ],
    },
    routes: routesDoc({ [PATH]: { "get,post": mcpRoute("demo-mcp-server", "mcpgw:demo", [OAUTH_POLICY, "by-role"]) } }),
  });
  gw = await startGateway(dir);
});
afterAll(() => gw.stop());

/** The browser leg with the dev-login picker: authorize → pick `who` → consent → Authorize → token. */
async function tokenFor(who: string): Promise<string> {
  const client = await registerClient(gw.url);
  const { verifier, challenge } = pkcePair();
  const browser = new Browser();
  const resource = `${gw.url}${PATH}`;
  const { page: picker } = await browser.navigate(authorizeUrl(gw.url, { clientId: client.client_id, challenge, resource, state: "s" }));
  if (!picker.body.includes(`name="as" value="${who}"`)) throw new Error(`no dev-login button for ${who}:\n${picker.body}`);
  const signedIn = await browser.submitForm(picker, { as: who });
  const { page: consent } = await browser.navigate(new URL(signedIn.headers.get("location")!, signedIn.url).href);
  const answered = await browser.submitConsent(consent, "approve");
  const code = new URL(answered.headers.get("location")!).searchParams.get("code")!;
  const res = await postForm(`${gw.url}/oauth/token`, { grant_type: "authorization_code", code, code_verifier: verifier, client_id: client.client_id, redirect_uri: REDIRECT_URI, resource });
  expect(res.status).toBe(200);
  return ((await res.json()) as { access_token: string }).access_token;
}

async function clientAs(token: string): Promise<Client> {
  const client = new Client({ name: "access-e2e", version: "1.0.0" });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${gw.url}${PATH}`), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
  return client;
}

describe("capability filter access control with two people", () => {
  it("offers the configured local identities on the dev-login page", async () => {
    const client = await registerClient(gw.url);
    const { challenge } = pkcePair();
    const { page } = await new Browser().navigate(authorizeUrl(gw.url, { clientId: client.client_id, challenge, resource: `${gw.url}${PATH}`, state: "s" }));
    expect(page.body).toContain('<button type="submit" name="as" value="alice">alice</button>');
    expect(page.body).toContain('<button type="submit" name="as" value="bob">bob</button>');
  });

  it("shows each person only the tools their roles and groups allow, and blocks the rest", async () => {
    const alice = await clientAs(await tokenFor("alice"));
    const bob = await clientAs(await tokenFor("bob"));
    expect((await alice.listTools()).tools.map((t) => t.name)).toEqual(["echo", "add", "get_time"]);
    expect((await bob.listTools()).tools.map((t) => t.name)).toEqual(["echo", "add"]);
    const time = await alice.callTool({ name: "get_time", arguments: {} });
    expect(String((time.content as { text: string }[])[0]!.text)).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    await expect(bob.callTool({ name: "get_time", arguments: {} })).rejects.toThrow(/Method not found|-32601/);
    expect((await bob.callTool({ name: "add", arguments: { a: 1, b: 2 } })).structuredContent).toEqual({ sum: 3 });
    // Markup never reaches clients.
    for (const t of (await alice.listTools()).tools) expect(t).not.toHaveProperty("roles");
    await alice.close();
    await bob.close();
  });
});
