import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser } from "playwright-core";
import { authorizeUrl, pkcePair, postForm, registerClient } from "../oauth/helpers.ts";
import { callTool, ROUTE, startUpstreamGateway, writeUpstreamProject, type Gateway } from "./flow.ts";
import { startProtectedMcpServer, startUpstreamAuthServer, type ProtectedMcpServer, type UpstreamAuthServer } from "./peers.ts";

// The whole browser leg in headless Chromium, no JavaScript on our pages: sign in (dev-login) → the
// consent page shows Connect (Authorize disabled) → Connect → the upstream's own login and consent
// (node-oidc-provider) → back on the consent page, connected → Authorize → the SDK client's tool call
// reaches the upstream with this person's token. Skipped with a message when Chromium is missing.

const CHROMIUM = "/usr/bin/chromium";
const TIMEOUT_MS = 45_000;
const available = existsSync(CHROMIUM);
if (!available && !process.env.CI) console.warn(`upstream-browser.test.ts: skipped, ${CHROMIUM} is not installed`);

describe.skipIf(!available && !process.env.CI)("connecting an upstream in a real browser", () => {
  let as: UpstreamAuthServer;
  let upstream: ProtectedMcpServer;
  let gw: Gateway;
  let browser: Browser;
  let callback: ReturnType<typeof Bun.serve>;

  beforeAll(async () => {
    as = await startUpstreamAuthServer();
    upstream = startProtectedMcpServer(as.issuer);
    gw = await startUpstreamGateway(writeUpstreamProject(upstream.url, { scopes: ["mcp:tools", "offline_access"] }, ["dana"]));
    callback = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("<!doctype html><title>Client</title><p>Done.</p>", { headers: { "content-type": "text/html" } }) });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
  }, TIMEOUT_MS);
  afterAll(async () => {
    await browser?.close();
    callback?.stop(true);
    await gw?.stop();
    upstream?.stop();
    await as?.stop();
  });

  it("signs in, connects Linear from the consent page, authorizes, and the upstream sees dana's token", async () => {
    const redirectUri = `http://127.0.0.1:${callback.port}/callback`;
    const client = await registerClient(gw.url, { client_name: "Chromium Client", redirect_uris: [redirectUri] });
    const { verifier, challenge } = pkcePair();
    const page = await browser.newPage();
    await page.goto(gw.devLoginUrl!);
    await page.goto(authorizeUrl(gw.url, { clientId: client.client_id, redirectUri, challenge, resource: `${gw.url}${ROUTE}`, state: "st" }));
    await page.getByRole("button", { name: "dana" }).click();

    await page.waitForURL((u) => u.pathname === "/oauth/setup");
    expect(await page.getByRole("button", { name: "Authorize" }).isDisabled()).toBe(true);
    await page.getByRole("link", { name: "Connect Linear" }).click();

    // node-oidc-provider's own pages: sign in at the upstream, then its consent screen.
    await page.waitForURL((u) => u.origin === as.issuer);
    await page.locator('input[name="login"]').fill("dana-at-linear");
    await page.locator('input[name="password"]').fill("any");
    await page.getByRole("button", { name: "Sign-in" }).click();
    await page.getByRole("button", { name: "Continue" }).click();

    await page.waitForURL((u) => u.pathname === "/oauth/setup");
    expect(await page.locator("main").innerText()).toContain("Connected");
    mkdirSync(join(import.meta.dir, "../../test-artifacts"), { recursive: true });
    await page.screenshot({ path: join(import.meta.dir, "../../test-artifacts/consent-upstream-connected.png"), fullPage: true });
    await Promise.all([page.waitForURL((u) => u.pathname === "/callback"), page.getByRole("button", { name: "Authorize" }).click()]);
    const code = new URL(page.url()).searchParams.get("code")!;
    const t = await postForm(`${gw.url}/oauth/token`, { grant_type: "authorization_code", code, code_verifier: verifier, client_id: client.client_id, redirect_uri: redirectUri, resource: `${gw.url}${ROUTE}` });
    const { access_token } = (await t.json()) as { access_token: string };

    expect(await callTool(gw.url, access_token)).toEqual({ text: "dana-at-linear" });
    expect(upstream.seen.at(-1)!.sub).toBe("dana-at-linear");
    await page.close();
  }, TIMEOUT_MS);
});
