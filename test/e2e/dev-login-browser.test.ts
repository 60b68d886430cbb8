import { describe, expect, it } from "bun:test";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { BROWSER_TIMEOUT_MS, browserLeg, chromiumAvailable } from "../helpers/chromium.ts";
import { MCP_ZUPLO, mcpRoute, routesDoc, writeProject } from "../helpers/project.ts";
import { authorizeUrl, DEMO_PATH, mcpPost, oauthPolicy, OAUTH_POLICY, pkcePair, postForm, registerClient } from "../oauth/helpers.ts";

// "Switch user" in a real headless Chromium: sign in as alice on the dev-login picker, switch to bob from
// the consent page without touching cookies, authorize as bob, and get a token that is bob's. The picker
// is saved as test-artifacts/dev-login-picker.png.

describe.skipIf(!chromiumAvailable("dev-login-browser.test.ts"))("dev-login switch user in a real browser", () => {
  const leg = browserLeg(() =>
    writeProject({
      zuplo: { ...MCP_ZUPLO, mcpgw: { devLogin: { users: { alice: { roles: ["admin"] }, bob: { roles: ["viewer"] } } } } },
      policies: { policies: [oauthPolicy()] },
      routes: routesDoc({ [DEMO_PATH]: { "get,post": mcpRoute("demo-mcp-server", "mcpgw:demo", [OAUTH_POLICY]) } }),
    }),
  );

  it("signs in as alice, switches to bob from the consent page, and authorizes as bob", async () => {
    const { gw, browser, callback } = leg;
    const { redirectUri } = callback;
    const client = await registerClient(gw.url, { client_name: "Switch Test Client", redirect_uris: [redirectUri] });
    const { verifier, challenge } = pkcePair();
    const page = await browser.newPage({ viewport: { width: 800, height: 700 } });
    await page.goto(gw.devLoginUrl!);
    await page.goto(authorizeUrl(gw.url, { clientId: client.client_id, redirectUri, challenge, resource: `${gw.url}${DEMO_PATH}`, state: "switch" }));

    expect(new URL(page.url()).pathname).toBe("/oauth/dev-login");
    expect(await page.title()).toBe("Dev login");
    mkdirSync(join(import.meta.dir, "../../test-artifacts"), { recursive: true });
    await page.screenshot({ path: join(import.meta.dir, "../../test-artifacts/dev-login-picker.png"), fullPage: true });
    await Promise.all([page.waitForURL((u) => u.pathname === "/oauth/setup"), page.getByRole("button", { name: "alice" }).click()]);
    expect(await page.locator("main").innerText()).toContain("Signed in as alice");

    await Promise.all([page.waitForURL((u) => u.pathname === "/oauth/dev-login"), page.getByRole("button", { name: "Switch user" }).click()]);
    await Promise.all([page.waitForURL((u) => u.pathname === "/oauth/setup"), page.getByRole("button", { name: "bob" }).click()]);
    expect(await page.locator("main").innerText()).toContain("Signed in as bob");

    await Promise.all([page.waitForURL((u) => u.pathname === "/callback"), page.getByRole("button", { name: "Authorize" }).click()]);
    const back = callback.received.at(-1)!;
    expect(back.searchParams.get("state")).toBe("switch");
    const t = await postForm(`${gw.url}/oauth/token`, { grant_type: "authorization_code", code: back.searchParams.get("code")!, code_verifier: verifier, client_id: client.client_id, redirect_uri: redirectUri, resource: `${gw.url}${DEMO_PATH}` });
    expect(t.status).toBe(200);
    const { access_token } = (await t.json()) as { access_token: string };
    const call = await mcpPost(`${gw.url}${DEMO_PATH}`, access_token);
    expect(call.status).toBe(200);
    await call.text();
    expect(gw.logs.find((l) => l.event === "mcp_auth_downstream_token_issued" && l.grantType === "authorization_code")).toMatchObject({ subjectId: "bob" });
    // One session row per sign-in; alice's ended when she switched.
    expect(gw.logs.filter((l) => l.event === "mcp_auth_browser_logout").map((l) => l.subjectId)).toEqual(["alice"]);
    await page.close();
  }, BROWSER_TIMEOUT_MS);

  it("signs out from the signed-in page, after which dev-login offers the picker again", async () => {
    const { gw, browser } = leg;
    const page = await browser.newPage();
    await page.goto(gw.devLoginUrl!);
    await page.getByRole("button", { name: "alice" }).click();
    await page.getByText("You are signed in to this gateway as alice").waitFor();
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByText("You are signed out of this gateway").waitFor();
    expect((await page.context().cookies()).some((c) => c.name === "zuplo_mcp_session")).toBe(false);
    await page.goto(`${gw.url}/oauth/dev-login`);
    expect(await page.getByRole("button", { name: "bob" }).count()).toBe(1);
    await page.close();
  }, BROWSER_TIMEOUT_MS);
});
