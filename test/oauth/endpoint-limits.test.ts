import { Database } from "bun:sqlite";
import { describe, expect, it } from "bun:test";
import { join } from "node:path";
import { STORE_FILE } from "../../src/store/sqlite/open.ts";
import { MCP_ZUPLO, mcpRoute, routesDoc, writeProject } from "../helpers/project.ts";
import {
  authorizeInBrowser,
  authorizeUrl,
  Browser,
  DEMO_PATH,
  OAUTH_POLICY,
  oauthPolicy,
  pkcePair,
  postForm,
  REDIRECT_URI,
  registerClient,
  startGateway,
  tempDataDir,
} from "./helpers.ts";

// Issue 18, "DCR fills the disk": per-address limits on register/authorize/token, caps on stored clients
// and pending authorization requests, early expiry of registrations nobody uses, bounded `state`. Real
// gateway, real HTTP, real SQLite (read beside the running gateway to see what it stored).

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

function project(oauth: object): string {
  return writeProject({
    zuplo: { ...MCP_ZUPLO, mcpgw: { oauth } },
    policies: { policies: [oauthPolicy()] },
    routes: routesDoc({ [DEMO_PATH]: { "get,post": mcpRoute("demo-mcp-server", "mcpgw:demo", [OAUTH_POLICY]) } }),
  });
}

const register = (url: string) =>
  fetch(`${url}/oauth/register`, {
    method: "POST",
    headers: { "content-type": "application/json", origin: "https://inspector.example" },
    body: JSON.stringify({ client_name: "c", redirect_uris: [REDIRECT_URI], token_endpoint_auth_method: "none" }),
  });

describe("per-address limits on the OAuth endpoints", () => {
  it("refuses registrations past the default budget (20 a minute) with 429, Retry-After and an RFC 6749 body", async () => {
    const gw = await startGateway(project({}));
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 21; i++) statuses.push((await register(gw.url)).status);
      expect(statuses.filter((s) => s === 201)).toHaveLength(20);
      const refused = await register(gw.url);
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
      expect(refused.headers.get("access-control-allow-origin")).toBe("*");
      expect(refused.headers.get("cache-control")).toBe("no-store");
      expect(await refused.json()).toMatchObject({ error: "temporarily_unavailable", error_description: expect.stringContaining("retry after") });
    } finally {
      await gw.stop();
    }
  });

  it("limits authorize (an HTML page, 429) and token (JSON, 429) as configured, and `false` turns a limit off", async () => {
    const gw = await startGateway(project({ rateLimits: { register: false, authorize: { requestsAllowed: 2, timeWindowMinutes: 10 }, token: { requestsAllowed: 1, timeWindowMinutes: 10 } } }));
    try {
      for (let i = 0; i < 30; i++) expect((await register(gw.url)).status).toBe(201);
      const client = await registerClient(gw.url);
      const url = authorizeUrl(gw.url, { clientId: client.client_id, challenge: pkcePair().challenge, state: "s" });
      for (let i = 0; i < 2; i++) expect((await fetch(url, { redirect: "manual" })).status).toBe(302);
      const page = await fetch(url, { redirect: "manual" });
      expect(page.status).toBe(429);
      expect(page.headers.get("content-type")).toContain("text/html");
      expect(Number(page.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
      expect(await page.text()).toContain("Too many requests");
      const token = () => postForm(`${gw.url}/oauth/token`, { grant_type: "authorization_code", code: "ac_nothing", code_verifier: "v".repeat(43), client_id: client.client_id });
      expect((await token()).status).toBe(400);
      const limited = await token();
      expect(limited.status).toBe(429);
      expect(await limited.json()).toMatchObject({ error: "temporarily_unavailable" });
    } finally {
      await gw.stop();
    }
  });
});

describe("caps on what unauthenticated callers can make the gateway store", () => {
  it("refuses a registration past maxRegisteredClients with 503 temporarily_unavailable, and token issuance keeps working", async () => {
    const gw = await startGateway(project({ maxRegisteredClients: 2 }));
    try {
      const first = await registerClient(gw.url);
      await registerClient(gw.url);
      const full = await register(gw.url);
      expect(full.status).toBe(503);
      expect(full.headers.get("retry-after")).not.toBeNull();
      expect(await full.json()).toMatchObject({ error: "temporarily_unavailable" });
      // A client registered before the cap still signs in and gets tokens.
      const { verifier, challenge } = pkcePair();
      const back = await authorizeInBrowser(new Browser(), gw.url, { clientId: first.client_id, challenge, state: "s" });
      const res = await postForm(`${gw.url}/oauth/token`, { grant_type: "authorization_code", code: back.searchParams.get("code")!, code_verifier: verifier, client_id: first.client_id });
      expect(res.status).toBe(200);
    } finally {
      await gw.stop();
    }
  });

  it("refuses an authorization request past maxPendingAuthorizations by redirecting with temporarily_unavailable", async () => {
    const gw = await startGateway(project({ maxPendingAuthorizations: 2 }));
    try {
      const client = await registerClient(gw.url);
      const url = (state: string) => authorizeUrl(gw.url, { clientId: client.client_id, challenge: pkcePair().challenge, state });
      for (const state of ["a", "b"]) expect(new URL((await fetch(url(state), { redirect: "manual" })).headers.get("location")!).pathname).toBe("/oauth/dev-login");
      const full = await fetch(url("c"), { redirect: "manual" });
      expect(full.status).toBe(302);
      const back = new URL(full.headers.get("location")!);
      expect(`${back.origin}${back.pathname}`).toBe(REDIRECT_URI);
      expect(back.searchParams.get("error")).toBe("temporarily_unavailable");
      expect(back.searchParams.get("state")).toBe("c");
    } finally {
      await gw.stop();
    }
  });

  it("keeps a registration that never obtains a token for 24 h only, and the full 90 days once it does", async () => {
    const dataDir = tempDataDir();
    const gw = await startGateway(project({}), { dataDir });
    const db = new Database(join(dataDir, STORE_FILE), { readonly: true });
    try {
      const lifetime = (clientId: string) => db.query<{ life: number }, [string]>("SELECT expires_at - created_at AS life FROM oauth_clients WHERE client_id = ?").get(clientId)!.life;
      const unused = await registerClient(gw.url);
      const used = await registerClient(gw.url);
      expect(lifetime(unused.client_id)).toBe(DAY);
      const { verifier, challenge } = pkcePair();
      const back = await authorizeInBrowser(new Browser(), gw.url, { clientId: used.client_id, challenge, state: "s" });
      const res = await postForm(`${gw.url}/oauth/token`, { grant_type: "authorization_code", code: back.searchParams.get("code")!, code_verifier: verifier, client_id: used.client_id });
      expect(res.status).toBe(200);
      expect(lifetime(used.client_id)).toBe(90 * DAY);
      expect(lifetime(unused.client_id)).toBe(DAY);
    } finally {
      db.close();
      await gw.stop();
    }
  });

  it("bounds state (and every other authorization parameter) to 2,048 characters", async () => {
    const gw = await startGateway(project({}));
    try {
      const client = await registerClient(gw.url);
      const at = (state: string) => fetch(authorizeUrl(gw.url, { clientId: client.client_id, challenge: pkcePair().challenge, state }), { redirect: "manual" });
      expect((await at("s".repeat(2048))).status).toBe(302);
      const long = await at("s".repeat(2049));
      expect(long.status).toBe(400);
      expect(await long.text()).toContain("state parameter is longer than 2048");
      const other = await fetch(authorizeUrl(gw.url, { clientId: client.client_id, challenge: pkcePair().challenge, extra: { login_hint: "x".repeat(3000) } }), { redirect: "manual" });
      expect(other.status).toBe(400);
    } finally {
      await gw.stop();
    }
  });
});
