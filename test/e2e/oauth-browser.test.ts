import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser } from "playwright-core";
import type { RunningGateway } from "../../src/cli/serve.ts";
import { authorizeUrl, DEMO_PATH, mcpPost, pkcePair, postForm, registerClient, startGateway, writeOAuthProject } from "../oauth/helpers.ts";

// A real headless Chromium walks the browser leg: authorize → dev-login → the consent page, clicks
// Authorize, and lands on the client's loopback redirect URI with a code. The page is saved as
// test-artifacts/consent-page.png. CI installs Debian's chromium (.ci/run); elsewhere the test is skipped
// with a message when /usr/bin/chromium is missing.

const CHROMIUM = "/usr/bin/chromium";
const BROWSER_TIMEOUT_MS = 30_000;
const available = existsSync(CHROMIUM);
if (!available && !process.env.CI) console.warn(`oauth-browser.test.ts: skipped, ${CHROMIUM} is not installed (apt-get install chromium)`);

describe.skipIf(!available && !process.env.CI)("consent page in a real browser", () => {
  let gw: RunningGateway;
  let browser: Browser;
  let callback: ReturnType<typeof Bun.serve>;
  const received: URL[] = [];

  beforeAll(async () => {
    gw = await startGateway(writeOAuthProject());
    callback = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch(request) {
        const url = new URL(request.url);
        if (url.pathname !== "/callback") return new Response("not found", { status: 404 }); // e.g. /favicon.ico
        received.push(url);
        return new Response("<!doctype html><title>Client</title><p>You can close this window.</p>", { headers: { "content-type": "text/html" } });
      },
    });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
    });
  }, BROWSER_TIMEOUT_MS);
  afterAll(async () => {
    await browser?.close();
    callback?.stop(true);
    await gw?.stop();
  });

  it("renders the consent page, and Authorize sends the browser back with a code that works", async () => {
    const redirectUri = `http://127.0.0.1:${callback.port}/callback`;
    const client = await registerClient(gw.url, { client_name: "Chromium Test Client", redirect_uris: [redirectUri] });
    const { verifier, challenge } = pkcePair();
    const page = await browser.newPage({ viewport: { width: 800, height: 760 } });
    // Once per browser, as `mcpgw dev` tells people to: the start-up link leaves the dev-login key in a cookie.
    await page.goto(gw.devLoginUrl!);
    await page.goto(authorizeUrl(gw.url, { clientId: client.client_id, redirectUri, challenge, resource: `${gw.url}${DEMO_PATH}`, state: "browser-state" }));

    expect(new URL(page.url()).pathname).toBe("/oauth/setup");
    expect(await page.title()).toBe("Authorize Chromium Test Client");
    const text = await page.locator("main").innerText();
    expect(text).toContain("Chromium Test Client");
    expect(text).toContain("demo-mcp-server summary");
    expect(text).toContain(`127.0.0.1:${callback.port}`);
    expect(text).toContain("dev-browser-user");
    mkdirSync(join(import.meta.dir, "../../test-artifacts"), { recursive: true });
    await page.screenshot({ path: join(import.meta.dir, "../../test-artifacts/consent-page.png"), fullPage: true });

    await Promise.all([page.waitForURL((u) => u.pathname === "/callback"), page.getByRole("button", { name: "Authorize" }).click()]);
    const back = received.at(-1)!;
    expect(back.searchParams.get("state")).toBe("browser-state");
    expect(back.searchParams.get("iss")).toBe(gw.url);
    const code = back.searchParams.get("code")!;
    expect(code).toStartWith("ac_");

    const t = await postForm(`${gw.url}/oauth/token`, { grant_type: "authorization_code", code, code_verifier: verifier, client_id: client.client_id, redirect_uri: redirectUri, resource: `${gw.url}${DEMO_PATH}` });
    const tokens = (await t.json()) as { access_token: string };
    expect((await mcpPost(`${gw.url}${DEMO_PATH}`, tokens.access_token)).status).toBe(200);
    await page.close();
  }, BROWSER_TIMEOUT_MS);

  it("Cancel sends the browser back with access_denied", async () => {
    const redirectUri = `http://127.0.0.1:${callback.port}/callback`;
    const client = await registerClient(gw.url, { redirect_uris: [redirectUri] });
    const page = await browser.newPage();
    await page.goto(gw.devLoginUrl!);
    await page.goto(authorizeUrl(gw.url, { clientId: client.client_id, redirectUri, challenge: pkcePair().challenge, resource: `${gw.url}${DEMO_PATH}`, state: "c" }));
    await Promise.all([page.waitForURL((u) => u.pathname === "/callback"), page.getByRole("button", { name: "Cancel" }).click()]);
    expect(received.at(-1)!.searchParams.get("error")).toBe("access_denied");
    await page.close();
  }, BROWSER_TIMEOUT_MS);
});
