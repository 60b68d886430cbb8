import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import type { RunningGateway } from "../../src/cli/serve.ts";
import {
  authorizeInBrowser,
  authorizeUrl,
  Browser,
  DEMO_PATH,
  pkcePair,
  REDIRECT_URI,
  registerClient,
  startGateway,
  writeOAuthProject,
} from "../oauth/helpers.ts";

// The authorization endpoint and the consent page, over real HTTP. Before the client and its redirect URI
// are verified an error is an HTML page (never a redirect); after, it goes back to the client's
// redirect_uri with `error`, `state` and `iss`.

let gw: RunningGateway;
let clientId: string;
const { challenge } = pkcePair();
const TWO_ROUTES = { [DEMO_PATH]: "demo-mcp-server", "/mcp/other-v1": "other-mcp-server" };

beforeAll(async () => {
  gw = await startGateway(writeOAuthProject({ routes: TWO_ROUTES }));
  clientId = (await registerClient(gw.url, { redirect_uris: [REDIRECT_URI, "https://app.example.com/cb"] })).client_id;
});
afterAll(() => gw.stop());

const resource = () => `${gw.url}${DEMO_PATH}`;

async function errorRedirect(url: string): Promise<URL> {
  const r = await fetch(url, { redirect: "manual" });
  expect(r.status).toBe(302);
  const location = new URL(r.headers.get("location")!);
  expect(location.href.startsWith(REDIRECT_URI)).toBe(true);
  return location;
}

async function errorPage(url: string, text: string): Promise<void> {
  const r = await fetch(url, { redirect: "manual" });
  expect(r.status).toBe(400);
  expect(r.headers.get("location")).toBeNull();
  expect(r.headers.get("content-type")).toContain("text/html");
  expect(await r.text()).toContain(text);
}

describe("authorization endpoint: before the redirect URI is trusted", () => {
  it("shows a page, not a redirect, for an unknown client", async () => {
    await errorPage(authorizeUrl(gw.url, { clientId: "dcr_unknown", challenge, resource: resource() }), "not registered");
  });

  it("shows a page for a redirect URI the client did not register", async () => {
    await errorPage(authorizeUrl(gw.url, { clientId, challenge, resource: resource(), redirectUri: "https://evil.example/cb" }), "is not one the client registered");
  });

  it("shows a page for a redirect URI that differs only in path or scheme from a loopback one", async () => {
    await errorPage(authorizeUrl(gw.url, { clientId, challenge, resource: resource(), redirectUri: "http://127.0.0.1:53682/other" }), "not one the client registered");
    await errorPage(authorizeUrl(gw.url, { clientId, challenge, resource: resource(), redirectUri: "http://localhost:53682/callback" }), "not one the client registered");
  });

  it("shows a page when redirect_uri is missing and the client registered several", async () => {
    await errorPage(authorizeUrl(gw.url, { clientId, challenge, resource: resource(), redirectUri: "" }), "redirect_uri parameter is missing");
  });

  it("shows a page for repeated parameters", async () => {
    await errorPage(authorizeUrl(gw.url, { clientId, challenge, resource: resource(), extra: {} }) + "&client_id=again", "repeated");
  });
});

describe("authorization endpoint: errors go back to the client", () => {
  it("accepts a loopback redirect URI on any port (RFC 8252 §7.3)", async () => {
    const back = await authorizeInBrowser(new Browser(), gw.url, { clientId, challenge, resource: resource(), redirectUri: "http://127.0.0.1:40001/callback", state: "p" });
    expect(back.host).toBe("127.0.0.1:40001");
    expect(back.searchParams.get("code")).toStartWith("ac_");
  });

  it("refuses a request without PKCE", async () => {
    const back = await errorRedirect(authorizeUrl(gw.url, { clientId, resource: resource(), state: "st" }));
    expect(back.searchParams.get("error")).toBe("invalid_request");
    expect(back.searchParams.get("error_description")).toContain("PKCE is required");
    expect(back.searchParams.get("state")).toBe("st");
    expect(back.searchParams.get("iss")).toBe(gw.url);
  });

  it("refuses the plain PKCE method, and a missing method (which means plain)", async () => {
    for (const method of ["plain", ""]) {
      const back = await errorRedirect(authorizeUrl(gw.url, { clientId, challenge, method, resource: resource() }));
      expect(back.searchParams.get("error")).toBe("invalid_request");
      expect(back.searchParams.get("error_description")).toContain("only S256");
    }
  });

  it("refuses a resource that is not one of its MCP routes (invalid_target)", async () => {
    for (const r of ["https://elsewhere.example/mcp/demo-v1", `${gw.url}/mcp/unknown`, `${gw.url}${DEMO_PATH}#frag`]) {
      const back = await errorRedirect(authorizeUrl(gw.url, { clientId, challenge, resource: r }));
      expect(back.searchParams.get("error")).toBe("invalid_target");
    }
  });

  it("needs resource on the gateway-wide endpoint when there are several routes", async () => {
    const back = await errorRedirect(authorizeUrl(gw.url, { clientId, challenge }));
    expect(back.searchParams.get("error")).toBe("invalid_target");
  });

  it("takes the resource from the per-route endpoint's path, and refuses a contradicting one", async () => {
    const ok = await authorizeInBrowser(new Browser(), gw.url, { clientId, challenge, routePath: DEMO_PATH });
    expect(ok.searchParams.get("iss")).toBe(`${gw.url}${DEMO_PATH}`);
    const back = await errorRedirect(authorizeUrl(gw.url, { clientId, challenge, routePath: DEMO_PATH, resource: `${gw.url}/mcp/other-v1` }));
    expect(back.searchParams.get("error")).toBe("invalid_target");
  });

  it("refuses scopes other than mcp:tools", async () => {
    const back = await errorRedirect(authorizeUrl(gw.url, { clientId, challenge, resource: resource(), scope: "mcp:tools admin" }));
    expect(back.searchParams.get("error")).toBe("invalid_scope");
  });

  it("refuses a response_type other than code", async () => {
    const back = await errorRedirect(authorizeUrl(gw.url, { clientId, challenge, resource: resource(), extra: { response_type: "token" } }));
    expect(back.searchParams.get("error")).toBe("unsupported_response_type");
  });
});

describe("consent page", () => {
  async function consentPage(browser: Browser) {
    const { page } = await browser.navigate(authorizeUrl(gw.url, { clientId, challenge, resource: resource(), state: "xyz" }));
    expect(page.status).toBe(200);
    return page;
  }

  it("names the client, its redirect host and the route, and cannot be framed", async () => {
    const page = await consentPage(new Browser());
    expect(page.body).toContain("Test Client");
    expect(page.body).toContain("127.0.0.1:53682");
    expect(page.body).toContain("demo-mcp-server summary");
    expect(page.body).toContain("dev-browser-user");
    expect(page.body).toContain('value="approve"');
    expect(page.body).toContain('value="cancel"');
    expect(page.headers.get("x-frame-options")).toBe("DENY");
    expect(page.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
    expect(page.headers.get("cache-control")).toBe("no-store");
  });

  it("sets the session cookie HttpOnly and SameSite=Lax", async () => {
    const r = await fetch(gw.devLoginUrl!, { redirect: "manual" });
    const cookie = r.headers.getSetCookie()[0]!;
    expect(cookie).toStartWith("zuplo_mcp_session=sess_");
    expect(cookie).toContain("HttpOnly");
    expect(cookie).toContain("SameSite=Lax");
    expect(cookie).toContain("Max-Age=28800");
    expect(cookie).not.toContain("Secure"); // http on loopback; https origins get Secure and __Host-
  });

  it("answers Cancel with access_denied to the client", async () => {
    const browser = new Browser();
    const answered = await browser.submitConsent(await consentPage(browser), "cancel");
    expect(answered.status).toBe(303);
    const back = new URL(answered.headers.get("location")!);
    expect(back.searchParams.get("error")).toBe("access_denied");
    expect(back.searchParams.get("state")).toBe("xyz");
    expect(back.searchParams.get("code")).toBeNull();
  });

  it("refuses a decision without the CSRF token, or with a wrong one", async () => {
    const browser = new Browser();
    const page = await consentPage(browser);
    for (const csrf of [undefined, "csrf_wrong"]) {
      const answered = await browser.submitConsent(page, "approve", { csrf_token: csrf });
      expect(answered.status).toBe(403);
      expect(answered.headers.get("location")).toBeNull();
      expect(answered.body).toContain("security token does not match");
    }
    // The genuine token still works afterwards: the failed attempts did not consume the request.
    const ok = await browser.submitConsent(page, "approve");
    expect(new URL(ok.headers.get("location")!).searchParams.get("code")).toStartWith("ac_");
  });

  it("refuses a token rendered for another browser session", async () => {
    const victim = new Browser();
    const page = await consentPage(victim);
    const attacker = new Browser();
    await attacker.navigate(`${gw.url}/oauth/dev-login`);
    const answered = await attacker.submitConsent(page, "approve");
    expect(answered.status).toBe(403);
  });

  it("refuses a decision posted from another origin", async () => {
    const browser = new Browser();
    const answered = await browser.submitConsent(await consentPage(browser), "approve", {}, "https://evil.example");
    expect(answered.status).toBe(403);
    expect(answered.body).toContain("another site");
  });

  it("refuses a decision without a session cookie", async () => {
    const browser = new Browser();
    const page = await consentPage(browser);
    browser.cookies.clear();
    expect((await browser.submitConsent(page, "approve")).status).toBe(403);
  });

  it("answers a request only once", async () => {
    const browser = new Browser();
    const page = await consentPage(browser);
    expect((await browser.submitConsent(page, "approve")).status).toBe(303);
    const again = await browser.submitConsent(page, "approve");
    expect(again.status).toBe(400);
    expect(again.body).toContain("already answered");
  });
});

describe("federated browser login", () => {
  it("sends a browser without a session to the IdP with code, state, nonce and our callback (test/e2e/idp-login.test.ts runs the rest)", async () => {
    const fed = await startGateway(
      writeOAuthProject({ browserLogin: { url: "https://idp.example/authorize?tenant=t1", tokenUrl: "https://idp.example/token", clientId: "gw", clientSecret: "s3cret-value" } }),
    );
    try {
      const id = (await registerClient(fed.url)).client_id;
      const r = await fetch(authorizeUrl(fed.url, { clientId: id, challenge, resource: `${fed.url}${DEMO_PATH}`, state: "f" }), { redirect: "manual" });
      expect(r.status).toBe(302);
      const idp = new URL(r.headers.get("location")!);
      expect(`${idp.origin}${idp.pathname}`).toBe("https://idp.example/authorize");
      expect(Object.fromEntries(idp.searchParams)).toMatchObject({ tenant: "t1", response_type: "code", client_id: "gw", scope: "openid profile email", redirect_uri: `${fed.url}/oauth/callback` });
      expect(idp.searchParams.get("state")).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(idp.searchParams.get("nonce")).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(idp.searchParams.has("code_challenge")).toBe(false);
      // The client's own state never travels to the IdP.
      expect(idp.searchParams.get("state")).not.toBe("f");
      expect(r.headers.get("set-cookie")).toMatch(/^mcpgw_login=[A-Za-z0-9_-]{43}; Path=\/; Max-Age=900; HttpOnly; SameSite=Lax$/);
      const meta = await (await fetch(`${fed.url}/.well-known/oauth-authorization-server`)).json();
      expect(meta["x-zuplo-browser-login-kind"]).toBe("federated_oidc");
    } finally {
      await fed.stop();
    }
  });
});
