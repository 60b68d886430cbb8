import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { networkInterfaces } from "node:os";
import { MCP_ZUPLO, mcpRoute, routesDoc, writeProject } from "../helpers/project.ts";
import { Browser, DEMO_PATH, authorizeUrl, oauthPolicy, OAUTH_POLICY, parseForm, pkcePair, registerClient, startGateway, type Page } from "../oauth/helpers.ts";

// dev-login with local identities (mcpgw.devLogin.users): the picker is a page in the consent page's
// style that signs in with a POST (Origin-checked, with a double-submit token), and a signed-in browser
// can sign out or switch user without clearing cookies. Over real HTTP with a cookie-jar browser; the
// same switch in Chromium is test/e2e/dev-login-browser.test.ts.

const USERS = { alice: { roles: ["admin"] }, bob: { roles: ["viewer"] } };

function usersProject(): string {
  return writeProject({
    zuplo: { ...MCP_ZUPLO, mcpgw: { devLogin: { users: USERS } } },
    policies: { policies: [oauthPolicy()] },
    routes: routesDoc({ [DEMO_PATH]: { "get,post": mcpRoute("demo-mcp-server", "mcpgw:demo", [OAUTH_POLICY], { summary: "Demo" }) } }),
  });
}

const styleOf = (html: string) => /<style>([\s\S]*?)<\/style>/.exec(html)?.[1];

let gw: Awaited<ReturnType<typeof startGateway>>;
beforeAll(async () => {
  gw = await startGateway(usersProject());
});
afterAll(async () => {
  await gw.stop();
});

/** A fresh authorization request in `browser`, up to the page it lands on (the picker, or consent). */
async function startAuthorization(browser: Browser): Promise<Page> {
  const client = await registerClient(gw.url);
  const { page } = await browser.navigate(authorizeUrl(gw.url, { clientId: client.client_id, challenge: pkcePair().challenge, resource: `${gw.url}${DEMO_PATH}`, state: "s" }));
  return page;
}

/** Pick `who` on the picker and follow on to the consent page. */
async function pick(browser: Browser, picker: Page, who: string): Promise<Page> {
  const signedIn = await browser.submitForm(picker, { as: who });
  expect(signedIn.status).toBe(303);
  return (await browser.navigate(new URL(signedIn.headers.get("location")!, signedIn.url).href)).page;
}

/** The sign-out form of a page (after its main form), submitted with `then`. */
function submitSignOut(browser: Browser, page: Page, then: "switch" | "sign_out", override: Record<string, string> = {}, origin?: string | null): Promise<Page> {
  const at = page.body.indexOf('<form method="post" action="/oauth/sign-out"');
  expect(at).toBeGreaterThan(-1);
  return browser.submitForm({ ...page, body: page.body.slice(at) }, { then, ...override }, origin);
}

describe("the dev-login picker", () => {
  it("is a page in the consent page's style with one POST form and a button per identity, and signs nobody in by itself", async () => {
    const browser = new Browser();
    const picker = await startAuthorization(browser);
    expect(picker.url).toContain("/oauth/dev-login?request=");
    expect(picker.status).toBe(200);
    expect(picker.body).toContain('<form method="post" action="/oauth/dev-login">');
    for (const who of Object.keys(USERS)) expect(picker.body).toContain(`<button type="submit" name="as" value="${who}">${who}</button>`);
    expect(picker.body).toContain("&quot;roles&quot;:[&quot;admin&quot;]");
    const csrf = picker.headers.getSetCookie().find((c) => c.startsWith("mcpgw_dev_login_csrf="));
    expect(csrf).toMatch(/; Path=\/oauth\/dev-login; Max-Age=900; HttpOnly; SameSite=Strict$/);
    expect(picker.headers.getSetCookie().some((c) => c.startsWith("zuplo_mcp_session="))).toBe(false);
    const consent = await pick(browser, picker, "alice");
    expect(consent.body).toContain("Signed in as <strong>alice</strong>");
    expect(styleOf(picker.body)).toBeDefined();
    expect(styleOf(picker.body)).toBe(styleOf(consent.body));
  });

  const refusals: [name: string, change: { fields?: Record<string, string>; origin?: string | null; dropCsrfCookie?: boolean }, status: number][] = [
    ["a form posted from another site", { origin: "http://evil.example" }, 403],
    ["a form without the picker's token", { fields: { csrf_token: "" } }, 403],
    ["a form with another token", { fields: { csrf_token: "csrf_forged" } }, 403],
    ["a browser without the picker's cookie", { dropCsrfCookie: true }, 403],
    ["an identity that is not configured", { fields: { as: "mallory" } }, 400],
    ["an identity on the prototype chain", { fields: { as: "__proto__" } }, 400],
  ];
  for (const [name, change, status] of refusals) {
    it(`refuses ${name} (${status}) without a session`, async () => {
      const browser = new Browser();
      const picker = await startAuthorization(browser);
      if (change.dropCsrfCookie) for (const k of [...browser.cookies.keys()]) if (k.endsWith(" mcpgw_dev_login_csrf")) browser.cookies.delete(k);
      const r = await browser.submitForm(picker, { as: "alice", ...change.fields }, change.origin);
      expect(r.status).toBe(status);
      expect(r.headers.getSetCookie().some((c) => c.startsWith("zuplo_mcp_session="))).toBe(false);
    });
  }
});

describe("sign out and switch user", () => {
  it("switches user from the consent page: sign out, the picker again, and the request carries on as the other person", async () => {
    const browser = new Browser();
    const asAlice = await pick(browser, await startAuthorization(browser), "alice");
    expect(asAlice.body).toContain("Not alice?");
    const switched = await submitSignOut(browser, asAlice, "switch");
    expect(switched.status).toBe(302);
    expect(switched.headers.getSetCookie()).toContain("zuplo_mcp_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax");
    const { page: picker } = await browser.navigate(new URL(switched.headers.get("location")!, switched.url).href);
    expect(picker.body).toContain("Sign in as…");
    const asBob = await pick(browser, picker, "bob");
    expect(asBob.body).toContain("Signed in as <strong>bob</strong>");
    expect(parseForm(asBob.body).fields.request).toBe(parseForm(asAlice.body).fields.request);
    const answered = await browser.submitConsent(asBob, "approve");
    expect(new URL(answered.headers.get("location")!).searchParams.get("code")).toStartWith("ac_");
    expect(gw.logs.filter((l) => l.event === "mcp_auth_consent_approved").at(-1)).toMatchObject({ subjectId: "bob" });
  });

  it("signs out: the session row is gone, so the old cookie no longer signs anyone in", async () => {
    const browser = new Browser();
    await pick(browser, await startAuthorization(browser), "alice");
    const oldCookies = new Map(browser.cookies);
    const { page: status } = await browser.navigate(`${gw.url}/oauth/dev-login`);
    expect(status.body).toContain("You are signed in to this gateway as <strong>alice</strong>");
    const out = await submitSignOut(browser, status, "sign_out");
    expect(out.status).toBe(200);
    expect(out.body).toContain("You are signed out");
    // The same cookie, replayed: the server no longer knows the session.
    const replay = new Browser();
    for (const [k, v] of oldCookies) replay.cookies.set(k, v);
    const { page } = await replay.navigate(`${gw.url}/oauth/dev-login`);
    expect(page.body).toContain("Sign in as…");
    expect(gw.logs.some((l) => l.event === "mcp_auth_browser_logout" && l.subjectId === "alice" && l.then === "sign_out")).toBe(true);
  });

  it("refuses a sign-out without the session's token, or from another site, and the session lives on", async () => {
    const browser = new Browser();
    await pick(browser, await startAuthorization(browser), "alice");
    const { page: status } = await browser.navigate(`${gw.url}/oauth/dev-login`);
    expect((await submitSignOut(browser, status, "sign_out", { sign_out_token: "forged" })).status).toBe(403);
    expect((await submitSignOut(browser, status, "sign_out", {}, "http://evil.example")).status).toBe(403);
    const { page: still } = await browser.navigate(`${gw.url}/oauth/dev-login`);
    expect(still.body).toContain("signed in to this gateway as <strong>alice</strong>");
  });
});

describe("the POST is guarded like the GET", () => {
  function nonLoopbackIPv4(): string | undefined {
    return Object.values(networkInterfaces())
      .flat()
      .find((a) => a && a.family === "IPv4" && !a.internal)?.address;
  }
  const form = (headers: Record<string, string> = {}) => ({ method: "POST", redirect: "manual" as const, headers: { "content-type": "application/x-www-form-urlencoded", ...headers }, body: "as=alice&csrf_token=x" });

  it("answers 403 under mcpgw start, through a proxy, to a rebinding Host name, and over a non-loopback address", async () => {
    const start = await startGateway(usersProject(), { mode: "start" });
    try {
      expect((await fetch(`${start.url}/oauth/dev-login`, form())).status).toBe(403);
    } finally {
      await start.stop();
    }
    expect((await fetch(`${gw.url}/oauth/dev-login`, form({ "x-forwarded-for": "203.0.113.9" }))).status).toBe(403);
    expect((await fetch(`${gw.url}/oauth/dev-login`, form({ host: `rebind.attacker.example:${new URL(gw.url).port}` }))).status).toBe(403);
    const address = nonLoopbackIPv4();
    expect(address, "this test needs a non-loopback IPv4 address on the machine").toBeDefined();
    const wide = await startGateway(usersProject(), { host: "0.0.0.0" });
    try {
      const r = await fetch(`http://${address}:${new URL(wide.url).port}/oauth/dev-login`, form());
      expect(r.status).toBe(403);
      expect(await r.text()).toContain("loopback");
    } finally {
      await wide.stop();
    }
  });
});
