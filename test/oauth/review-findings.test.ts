import { describe, expect, it } from "bun:test";
import { isPublicAddress } from "../../src/oauth/ssrf.ts";
import { MCP_ZUPLO, mcpRoute, routesDoc, writeProject } from "../helpers/project.ts";
import { DEMO_PATH, oauthPolicy, OAUTH_POLICY, parseForm, pkcePair, startGateway, writeOAuthProject } from "./helpers.ts";

// Regression tests for the security review of the OAuth authorization server (session 1). Each one
// failed on the code as reviewed and holds the behaviour of its fix.

const ATTACKER_HOST = "rebind.attacker.example";

/** fetch() to the gateway's loopback socket, but with the Host a DNS-rebinding page would send (or, for the control run, the gateway's own). */
function reboundVia(gwUrl: string, path: string, init: RequestInit & { cookie?: string } = {}, hostName = ATTACKER_HOST): Promise<Response> {
  const port = new URL(gwUrl).port;
  const host = `${hostName}:${port}`;
  const headers = new Headers(init.headers);
  headers.set("host", host);
  if (init.cookie) headers.set("cookie", init.cookie);
  return fetch(`${gwUrl}${path}`, { ...init, headers, redirect: "manual" });
}

describe("finding: DNS rebinding drives dev-login + consent from a web page (mcpgw dev)", () => {
  it("dev-login refuses a request whose Host is not a loopback name (socket is loopback, Host is a rebinding domain)", async () => {
    const gw = await startGateway(writeOAuthProject());
    try {
      const r = await reboundVia(gw.url, "/oauth/dev-login");
      // Before the fix: 200 and a session cookie for the attacker's origin.
      expect(r.status).toBe(403);
      expect(r.headers.get("set-cookie")).toBeNull();
    } finally {
      await gw.stop();
    }
  });

  /** The whole chain a rebinding page would run, under `hostName`; the steps it got through, and whether the MCP call worked. */
  async function tokenChain(hostName: string): Promise<{ worked: boolean; steps: string[] }> {
    const gw = await startGateway(writeOAuthProject());
    const port = new URL(gw.url).port;
    const attackerOrigin = `http://${hostName}:${port}`;
    const rebound = (gwUrl: string, path: string, init: RequestInit & { cookie?: string } = {}) => reboundVia(gwUrl, path, init, hostName);
    const steps: string[] = [];
    let worked = false;
    try {
      // 1. Register a client whose redirect URI the attacker controls (https, any host).
      const reg = await rebound(gw.url, "/oauth/register", {
        method: "POST",
        headers: { "content-type": "application/json", origin: attackerOrigin },
        body: JSON.stringify({ client_name: "Totally legit", redirect_uris: ["https://attacker.example/cb"], token_endpoint_auth_method: "none" }),
      });
      steps.push(`register ${reg.status}`);
      const clientId = ((await reg.json()) as { client_id: string }).client_id;
      // 2. Sign in through dev-login: the TCP peer is the victim's browser on loopback, and (the worst
      // case) it even carries the dev-login key of the start-up link.
      const link = new URL(gw.devLoginUrl!);
      const login = await rebound(gw.url, `${link.pathname}${link.search}`);
      steps.push(`dev-login ${login.status}`);
      const cookie = login.headers.getSetCookie()[0]?.split(";")[0];
      if (login.status === 200 && cookie) {
        // 3. Authorize for the route on the attacker's origin (that is what req.origin is now).
        const { verifier, challenge } = pkcePair();
        const q = new URLSearchParams({
          response_type: "code",
          client_id: clientId,
          redirect_uri: "https://attacker.example/cb",
          code_challenge: challenge,
          code_challenge_method: "S256",
          resource: `${attackerOrigin}${DEMO_PATH}`,
          state: "x",
        });
        const authz = await rebound(gw.url, `/oauth/authorize?${q}`, { cookie });
        steps.push(`authorize ${authz.status}`);
        const setup = new URL(authz.headers.get("location") ?? "http://invalid/");
        // 4. Read the consent page (same-origin for the rebinding page) and approve with its CSRF token.
        const page = await rebound(gw.url, `${setup.pathname}${setup.search}`, { cookie });
        steps.push(`consent page ${page.status}`);
        if (page.status === 200) {
          const form = parseForm(await page.text());
          const post = await rebound(gw.url, form.action, {
            method: "POST",
            cookie,
            headers: { "content-type": "application/x-www-form-urlencoded", origin: attackerOrigin },
            body: new URLSearchParams({ ...form.fields, decision: "approve" }),
          });
          steps.push(`consent POST ${post.status}`);
          const code = new URL(post.headers.get("location") ?? "http://invalid/").searchParams.get("code");
          if (code) {
            // 5. Exchange the code (PKCE is the attacker's own) and call the MCP route through the rebound origin.
            const tok = await rebound(gw.url, "/oauth/token", {
              method: "POST",
              headers: { "content-type": "application/x-www-form-urlencoded", origin: attackerOrigin },
              body: new URLSearchParams({ grant_type: "authorization_code", code, code_verifier: verifier, client_id: clientId }),
            });
            steps.push(`token ${tok.status}`);
            const at = tok.status === 200 ? ((await tok.json()) as { access_token: string }).access_token : undefined;
            if (at) {
              const call = await rebound(gw.url, DEMO_PATH, {
                method: "POST",
                headers: {
                  "content-type": "application/json",
                  accept: "application/json, text/event-stream",
                  "mcp-protocol-version": "2025-11-25",
                  origin: attackerOrigin,
                  authorization: `Bearer ${at}`,
                },
                body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
              });
              steps.push(`MCP tools/list ${call.status}`);
              worked = call.status === 200;
            }
          }
        }
      }
    } finally {
      await gw.stop();
    }
    return { worked, steps };
  }

  it("a page on a rebinding domain cannot end up with a working access token for an MCP route", async () => {
    // Before the fix every step succeeded: register 201, dev-login 200, authorize 302, consent page 200,
    // consent POST 303, token 200, MCP tools/list 200. Now every request is refused for its Host.
    expect(await tokenChain(ATTACKER_HOST)).toEqual({ worked: false, steps: ["register 403", "dev-login 403"] });
  });

  it("(control) the same chain under the gateway's own loopback name does end with a working token", async () => {
    const control = await tokenChain("127.0.0.1");
    expect(control.steps).toEqual(["register 201", "dev-login 200", "authorize 302", "consent page 200", "consent POST 303", "token 200", "MCP tools/list 200"]);
    expect(control.worked).toBe(true);
  });
});

describe("finding: dev-login looks the chosen identity up on the prototype chain", () => {
  it("refuses ?as=__proto__ instead of signing in a subject that is not in mcpgw.devLogin.users", async () => {
    const dir = writeProject({
      zuplo: { ...MCP_ZUPLO, mcpgw: { devLogin: { users: { alice: { roles: ["viewer"] } } } } },
      policies: { policies: [oauthPolicy()] },
      routes: routesDoc({ [DEMO_PATH]: { "get,post": mcpRoute("demo-mcp-server", "mcpgw:demo", [OAUTH_POLICY]) } }),
    });
    const gw = await startGateway(dir);
    try {
      const r = await fetch(`${gw.devLoginUrl}&as=__proto__`, { redirect: "manual" });
      // Before the fix: 200 "signed in as __proto__" with a session cookie.
      expect(r.status).toBe(400);
      expect(r.headers.get("set-cookie")).toBeNull();
    } finally {
      await gw.stop();
    }
  });
});

describe("finding: form bodies of the OAuth endpoints are buffered whole before the 16 KB check", () => {
  it("answers a chunked (no Content-Length) body that passes 16 KB without waiting for its end", async () => {
    const gw = await startGateway(writeOAuthProject());
    const abort = new AbortController();
    let timer: ReturnType<typeof setInterval> | undefined;
    try {
      const chunk = new TextEncoder().encode(`a=${"x".repeat(4094)}&`);
      const body = new ReadableStream<Uint8Array>({
        start(c) {
          for (let i = 0; i < 5; i++) c.enqueue(chunk); // 20 KB now, then a trickle that never ends
          timer = setInterval(() => {
            try {
              c.enqueue(chunk);
            } catch {
              clearInterval(timer);
            }
          }, 200);
        },
      });
      const outcome = await Promise.race([
        fetch(`${gw.url}/oauth/token`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body, signal: abort.signal }).then((r) => r.status),
        Bun.sleep(3000).then(() => "still reading after 3 s"),
      ]);
      expect(outcome).toBe(400);
    } finally {
      clearInterval(timer);
      abort.abort();
      await gw.stop();
    }
  }, 15_000);
});

describe("finding: SSRF guard misses IPv6 forms that embed IPv4", () => {
  it("treats ::/96 (IPv4-compatible), ::ffff:0:0/96 (SIIT) and 64:ff9b:1::/48 (local NAT64) as not public", () => {
    for (const ip of ["::127.0.0.1", "::a9fe:a9fe", "::ffff:0:10.0.0.1", "64:ff9b:1::a00:1"]) {
      expect({ ip, pub: isPublicAddress(ip) }).toEqual({ ip, pub: false });
    }
  });
});
