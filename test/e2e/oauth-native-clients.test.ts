import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import type { RunningGateway } from "../../src/cli/serve.ts";
import { VSCODE_DCR_REQUEST } from "../fixtures/clients/vscode.ts";
import { CURSOR_DCR_REQUEST, CURSOR_LEGACY_DCR_REQUEST, CURSOR_LEGACY_REDIRECT, CURSOR_SCHEME_REDIRECT } from "../fixtures/clients/cursor.ts";
import { authorizeUrl, Browser, DEMO_PATH, mcpPost, pkcePair, postForm, startGateway, writeOAuthProject } from "../oauth/helpers.ts";

// Native clients that redirect to a private-use URI scheme (RFC 8252 §7.1), with Cursor's real DCR bodies
// (test/fixtures/clients/cursor.ts): registration, the browser leg through dev-login and consent, the code
// delivered in the Location of the redirect to cursor://…, the token exchange and an MCP call.

let gw: RunningGateway;
beforeAll(async () => {
  gw = await startGateway(writeOAuthProject({ oauthSettings: { rateLimits: { register: false } } }));
});
afterAll(() => gw.stop());

const resource = () => `${gw.url}${DEMO_PATH}`;

async function register(body: object): Promise<Response> {
  return fetch(`${gw.url}/oauth/register`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
}

async function registerClient(body: object): Promise<string> {
  const r = await register(body);
  const json = (await r.json()) as { client_id: string; redirect_uris: string[] };
  expect(r.status).toBe(201);
  expect(json.redirect_uris).toEqual((body as { redirect_uris: string[] }).redirect_uris);
  return json.client_id;
}

describe("Cursor (private-use scheme redirect) through the full flow", () => {
  for (const [shape, body, redirectUri] of [
    ["current three-URI registration", CURSOR_DCR_REQUEST, CURSOR_SCHEME_REDIRECT],
    ["older per-server registration", CURSOR_LEGACY_DCR_REQUEST, CURSOR_LEGACY_REDIRECT],
  ] as const) {
    it(`${shape}: registers, shows the scheme on consent, and delivers the code to ${redirectUri.split("/oauth")[0]}`, async () => {
      const clientId = await registerClient(body);
      const { verifier, challenge } = pkcePair();
      const browser = new Browser();
      const { page } = await browser.navigate(authorizeUrl(gw.url, { clientId, redirectUri, challenge, resource: resource(), state: "cursor-state" }));
      expect(new URL(page.url).pathname).toBe("/oauth/setup");
      const host = redirectUri.split("/oauth")[0]!;
      expect(page.body).toContain(`<code>${host}</code>`);
      expect(page.body).toContain("handles <code>cursor:</code> links");

      const answered = await browser.submitConsent(page, "approve");
      expect(answered.status).toBe(303);
      const location = answered.headers.get("location")!;
      expect(location.startsWith(`${redirectUri}?`)).toBe(true);
      const back = new URL(location);
      expect(back.searchParams.get("state")).toBe("cursor-state");
      expect(back.searchParams.get("iss")).toBe(gw.url);

      const t = await postForm(`${gw.url}/oauth/token`, { grant_type: "authorization_code", code: back.searchParams.get("code")!, code_verifier: verifier, client_id: clientId, redirect_uri: redirectUri, resource: resource() });
      expect(t.status).toBe(200);
      const tokens = (await t.json()) as { access_token: string; refresh_token: string };
      expect(tokens.refresh_token).toStartWith("rt_");
      expect((await mcpPost(resource(), tokens.access_token)).status).toBe(200);
    });
  }

  it("sends a request error back to the cursor:// URI once it is verified (302 Location)", async () => {
    const clientId = await registerClient(CURSOR_DCR_REQUEST);
    const r = await fetch(authorizeUrl(gw.url, { clientId, redirectUri: CURSOR_SCHEME_REDIRECT, challenge: pkcePair().challenge, resource: resource(), scope: "admin", state: "s" }), { redirect: "manual" });
    expect(r.status).toBe(302);
    const back = new URL(r.headers.get("location")!);
    expect(`${back.protocol}//${back.host}${back.pathname}`).toBe(CURSOR_SCHEME_REDIRECT);
    expect(back.searchParams.get("error")).toBe("invalid_scope");
  });

  it("matches the private-use URI exactly: another path, host, case or a trailing slash is an error page, not a redirect", async () => {
    const clientId = await registerClient(CURSOR_DCR_REQUEST);
    for (const redirectUri of [
      "cursor://anysphere.cursor-mcp/oauth/callback/",
      "cursor://anysphere.cursor-mcp/oauth/callback2",
      "cursor://evil.example/oauth/callback",
      "Cursor://anysphere.cursor-mcp/oauth/callback",
      "cursor://anysphere.cursor-mcp:1/oauth/callback",
      "cursor://anysphere.cursor-mcp/oauth/x/../callback",
    ]) {
      const r = await fetch(authorizeUrl(gw.url, { clientId, redirectUri, challenge: pkcePair().challenge, resource: resource() }), { redirect: "manual" });
      expect({ redirectUri, status: r.status, location: r.headers.get("location") }).toEqual({ redirectUri, status: 400, location: null });
    }
  });
});

describe("VS Code (loopback redirect without a path, on a fallback port)", () => {
  it("registers its real body and gets the code on the port it actually listens on", async () => {
    const clientId = await registerClient(VSCODE_DCR_REQUEST);
    const redirectUri = "http://127.0.0.1:40123";
    const { verifier, challenge } = pkcePair();
    const browser = new Browser();
    const { page } = await browser.navigate(authorizeUrl(gw.url, { clientId, redirectUri, challenge, resource: resource() }));
    expect(page.body).toContain("(a program on this computer)");
    const back = new URL((await browser.submitConsent(page, "approve")).headers.get("location")!);
    expect(back.origin).toBe(redirectUri);
    const t = await postForm(`${gw.url}/oauth/token`, { grant_type: "authorization_code", code: back.searchParams.get("code")!, code_verifier: verifier, client_id: clientId, redirect_uri: redirectUri, resource: resource() });
    expect(t.status).toBe(200);
  });
});

describe("redirect URIs DCR refuses", () => {
  // Each row is one registration with Cursor's body but this redirect URI in place of the cursor:// one.
  const refused: readonly [uri: string, why: string][] = [
    ["javascript:alert(document.cookie)", "handled by the browser itself"],
    ["javascript://anysphere.cursor-mcp/%0aalert(1)", "handled by the browser itself"],
    ["data:text/html,<script>alert(1)</script>", "handled by the browser itself"],
    ["file:///etc/passwd", "handled by the browser itself"],
    ["blob:https://app.example/uuid", "handled by the browser itself"],
    ["vbscript:msgbox(1)", "handled by the browser itself"],
    ["about:blank", "handled by the browser itself"],
    ["view-source:https://app.example/", "handled by the browser itself"],
    ["ms-msdt:/id%20PCWDiagnostic", "Windows system handler"],
    ["search-ms:query=x", "Windows system handler"],
    ["smb://attacker.example/share", "network protocol"],
    ["https+evil://app.example/cb", "characters"],
    ["https-evil://app.example/cb", "looks like http(s)"],
    ["http.example://cb", "looks like http(s)"],
    ["HTTP://127.0.0.1/cb", "lowercase"],
    ["HTTPS://app.example/cb", "lowercase"],
    ["Cursor://anysphere.cursor-mcp/oauth/callback", "lowercase"],
    ["cursor://anysphere.cursor-mcp/oauth/call back", "characters a URI cannot hold"],
    ['cursor://anysphere.cursor-mcp/"><script>', "characters a URI cannot hold"],
    ["cursor://anysphere.cursor-mcp/oauth/../callback", "normal form"],
    ["cursor:callback", "cursor:/path"],
    ["cursor://user@anysphere.cursor-mcp/oauth/callback", "user credentials"],
    ["cursor://anysphere.cursor-mcp/oauth/callback#x", "fragment"],
    ["http://app.example/cb", "non-loopback"],
  ];

  for (const [uri, why] of refused) {
    it(`refuses ${uri}`, async () => {
      const r = await register({ ...CURSOR_DCR_REQUEST, redirect_uris: [uri, ...CURSOR_DCR_REQUEST.redirect_uris.slice(1)] });
      const body = (await r.json()) as { error: string; error_description: string };
      expect({ status: r.status, error: body.error }).toEqual({ status: 400, error: "invalid_redirect_uri" });
      expect(body.error_description).toContain(why);
    });
  }

  it("accepts reverse-domain schemes (RFC 8252 §7.1) and VS Code's loopback and vscode.dev redirects", async () => {
    for (const uris of [["com.example.app:/oauth2redirect/example-provider"], ["com.example.app://callback"], ["grokbot://mcp/oauth/callback"], ["http://127.0.0.1:33418/", "https://vscode.dev/redirect"]]) {
      expect({ uris, status: (await register({ ...CURSOR_DCR_REQUEST, redirect_uris: uris })).status }).toEqual({ uris, status: 201 });
    }
  });
});
