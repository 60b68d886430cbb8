import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { chromium, type Browser } from "playwright-core";
import { startGateway, type GatewayUnderTest } from "../helpers/gateway.ts";
import { freePort, startOidcIdp, type OidcIdp } from "../helpers/oidc-idp.ts";
import { mcpRoute, MCP_ZUPLO, routesDoc } from "../helpers/project.ts";
import { authorizeUrl, pkcePair, postForm, registerClient } from "../oauth/helpers.ts";

// A real headless Chromium signs in through the team's IdP (node-oidc-provider, PKCE required) under
// `mcpgw start`: the gateway sends it to the IdP, the person types a user name and clicks Sign in, the
// IdP sends it back to {base}/oauth/callback, the consent page shows the person, Authorize lands on the
// client's redirect URI with a code, and the stock SDK client calls a tool with the token. Cancel at
// the IdP ends on the gateway's error page. Screenshots: test-artifacts/idp-*.png.

const CHROMIUM = "/usr/bin/chromium";
const TIMEOUT_MS = 30_000;
const available = existsSync(CHROMIUM);
if (!available && !process.env.CI) console.warn(`idp-login-browser.test.ts: skipped, ${CHROMIUM} is not installed (apt-get install chromium)`);
const ARTIFACTS = join(import.meta.dir, "../../test-artifacts");
const PATH = "/mcp/demo-v1";

describe.skipIf(!available && !process.env.CI)("sign-in through the team's IdP in a real browser", () => {
  let idp: OidcIdp;
  let gw: GatewayUnderTest;
  let browser: Browser;
  let clientCallback: ReturnType<typeof Bun.serve>;
  const received: URL[] = [];

  beforeAll(async () => {
    const port = await freePort();
    idp = await startOidcIdp({
      mountPath: "/team",
      clientId: "mcpgw",
      clientSecret: "chromium-idp-secret-0123456789",
      redirectUris: [`http://127.0.0.1:${port}/oauth/callback`],
      accounts: { dana: { email: "dana@example.com", roles: ["admin"] } },
      pkceRequired: true,
    });
    gw = await startGateway({
      port,
      zuplo: MCP_ZUPLO,
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
                browserLogin: { url: `${idp.issuer}/auth`, tokenUrl: `${idp.issuer}/token`, clientId: "mcpgw", clientSecret: "chromium-idp-secret-0123456789", pkce: "S256" },
              },
            },
          },
        ],
      },
      routes: routesDoc({ [PATH]: { "get,post": mcpRoute("demo-mcp-server", "mcpgw:demo", ["team-oauth"], { summary: "Demo tools" }) } }),
    });
    clientCallback = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch(request) {
        const url = new URL(request.url);
        if (url.pathname !== "/callback") return new Response("not found", { status: 404 });
        received.push(url);
        return new Response("<!doctype html><title>Client</title><p>You can close this window.</p>", { headers: { "content-type": "text/html" } });
      },
    });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
    mkdirSync(ARTIFACTS, { recursive: true });
  }, TIMEOUT_MS);
  afterAll(async () => {
    await browser?.close();
    clientCallback?.stop(true);
    await gw?.stop();
    await idp?.stop();
  });

  it("signs in at the IdP, consents, and the code becomes a token the SDK client calls a tool with", async () => {
    const redirectUri = `http://127.0.0.1:${clientCallback.port}/callback`;
    const client = await registerClient(gw.url, { client_name: "Chromium IdP Client", redirect_uris: [redirectUri] });
    const { verifier, challenge } = pkcePair();
    const page = await browser.newPage();
    await page.goto(authorizeUrl(gw.url, { clientId: client.client_id, redirectUri, challenge, resource: `${gw.url}${PATH}`, state: "chromium" }));

    expect(page.url()).toStartWith(`${idp.issuer}/interaction/`);
    expect(await page.title()).toBe("Team IdP sign-in");
    await page.getByLabel("User name").fill("dana");
    await Promise.all([page.waitForURL((u) => u.pathname === "/oauth/setup"), page.getByRole("button", { name: "Sign in" }).click()]);

    expect(await page.title()).toBe("Authorize Chromium IdP Client");
    expect(await page.locator("main").innerText()).toContain("Signed in as dana");
    await page.screenshot({ path: join(ARTIFACTS, "idp-consent-page.png"), fullPage: true });
    await Promise.all([page.waitForURL((u) => u.pathname === "/callback"), page.getByRole("button", { name: "Authorize" }).click()]);

    const back = received.at(-1)!;
    expect(back.searchParams.get("state")).toBe("chromium");
    const t = await postForm(`${gw.url}/oauth/token`, { grant_type: "authorization_code", code: back.searchParams.get("code")!, code_verifier: verifier, client_id: client.client_id, redirect_uri: redirectUri, resource: `${gw.url}${PATH}` });
    expect(t.status).toBe(200);
    const { access_token } = (await t.json()) as { access_token: string };
    const sdk = new Client({ name: "chromium-idp", version: "1.0.0" });
    await sdk.connect(new StreamableHTTPClientTransport(new URL(`${gw.url}${PATH}`), { requestInit: { headers: { authorization: `Bearer ${access_token}` } } }));
    expect((await sdk.callTool({ name: "echo", arguments: { text: "hi from dana" } })).content).toEqual([{ type: "text", text: "hi from dana" }]);
    await sdk.close();
    await page.close();
  }, TIMEOUT_MS);

  it("Cancel at the IdP ends on the gateway's error page, with the code and the request id", async () => {
    const redirectUri = `http://127.0.0.1:${clientCallback.port}/callback`;
    const client = await registerClient(gw.url, { redirect_uris: [redirectUri] });
    const page = await browser.newPage();
    await page.goto(authorizeUrl(gw.url, { clientId: client.client_id, redirectUri, challenge: pkcePair().challenge, resource: `${gw.url}${PATH}`, state: "c" }));
    await Promise.all([page.waitForURL((u) => u.pathname === "/oauth/callback"), page.getByRole("button", { name: "Cancel" }).click()]);
    expect(await page.title()).toBe("Sign-in did not complete");
    const text = await page.locator("main").innerText();
    expect(text).toContain("You declined, or the identity provider denied the sign-in.");
    expect(text).toMatch(/Developer details: idp_error: access_denied\. Request id: [0-9a-f-]{36}\./);
    await page.screenshot({ path: join(ARTIFACTS, "idp-error-page.png"), fullPage: true });
    await page.close();
  }, TIMEOUT_MS);
});
