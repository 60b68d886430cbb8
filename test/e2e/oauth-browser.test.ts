import { beforeAll, describe, expect, it } from "bun:test";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { BROWSER_TIMEOUT_MS, browserLeg, chromiumAvailable, type BrowserLeg } from "../helpers/chromium.ts";
import { authorizeUrl, DEMO_PATH, mcpPost, pkcePair, postForm, registerClient, writeOAuthProject } from "../oauth/helpers.ts";

// A real headless Chromium walks the browser leg: authorize → dev-login → the consent page, clicks
// Authorize, and lands on the client's loopback redirect URI with a code. The page is saved as
// test-artifacts/consent-page.png.

describe.skipIf(!chromiumAvailable("oauth-browser.test.ts"))("consent page in a real browser", () => {
  const leg = browserLeg(() => writeOAuthProject());
  let gw: BrowserLeg["gw"];
  let browser: Browser;
  let callback: BrowserLeg["callback"];
  let received: URL[];
  beforeAll(() => {
    ({ gw, browser, callback } = leg);
    received = callback.received;
  });

  it("renders the consent page, and Authorize sends the browser back with a code that works", async () => {
    const { redirectUri } = callback;
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
    expect(text).toContain(`127.0.0.1:${callback.server.port}`);
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

  it("does not approve when Enter is pressed on the freshly loaded page: focus is on the heading", async () => {
    const { redirectUri } = callback;
    const client = await registerClient(gw.url, { client_name: "Enter Key Client", redirect_uris: [redirectUri] });
    const page = await browser.newPage();
    await page.goto(gw.devLoginUrl!);
    await page.goto(authorizeUrl(gw.url, { clientId: client.client_id, redirectUri, challenge: pkcePair().challenge, resource: `${gw.url}${DEMO_PATH}`, state: "enter" }));
    expect(new URL(page.url()).pathname).toBe("/oauth/setup");
    // autofocus applies at the next rendering update after load: press Enter only once it has.
    await page.waitForFunction(() => document.activeElement !== document.body);
    expect(await page.evaluate(() => document.activeElement?.tagName)).toBe("H1");
    const before = received.length;
    await page.keyboard.press("Enter");
    // Had Enter submitted Authorize, the request would be answered (a code at the callback) and Cancel
    // would no longer be on the page; instead Cancel still answers the pending request.
    await Promise.all([page.waitForURL((u) => u.pathname === "/callback"), page.getByRole("button", { name: "Cancel" }).click({ timeout: 5_000 })]);
    const answers = received.slice(before);
    expect(answers).toHaveLength(1);
    expect(answers[0]!.searchParams.get("error")).toBe("access_denied");
    expect(answers[0]!.searchParams.get("code")).toBeNull();
    await page.close();
  }, BROWSER_TIMEOUT_MS);

  it("puts Cancel before Authorize in tab order", async () => {
    const { redirectUri } = callback;
    const client = await registerClient(gw.url, { redirect_uris: [redirectUri] });
    const page = await browser.newPage();
    await page.goto(gw.devLoginUrl!);
    await page.goto(authorizeUrl(gw.url, { clientId: client.client_id, redirectUri, challenge: pkcePair().challenge, resource: `${gw.url}${DEMO_PATH}`, state: "tab" }));
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("Cancel");
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("Authorize");
    await page.close();
  }, BROWSER_TIMEOUT_MS);

  it("Cancel sends the browser back with access_denied", async () => {
    const { redirectUri } = callback;
    const client = await registerClient(gw.url, { redirect_uris: [redirectUri] });
    const page = await browser.newPage();
    await page.goto(gw.devLoginUrl!);
    await page.goto(authorizeUrl(gw.url, { clientId: client.client_id, redirectUri, challenge: pkcePair().challenge, resource: `${gw.url}${DEMO_PATH}`, state: "c" }));
    await Promise.all([page.waitForURL((u) => u.pathname === "/callback"), page.getByRole("button", { name: "Cancel" }).click()]);
    expect(received.at(-1)!.searchParams.get("error")).toBe("access_denied");
    await page.close();
  }, BROWSER_TIMEOUT_MS);
});
