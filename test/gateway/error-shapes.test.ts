import { Database } from "bun:sqlite";
import { describe, expect, it } from "bun:test";
import { connect } from "node:net";
import { join } from "node:path";
import type { GatewayEvent } from "../../src/observe/events.ts";
import { STORE_FILE } from "../../src/store/sqlite/open.ts";
import { authorizeUrl, Browser, pkcePair, postForm, registerClient, startGateway, tempDataDir, writeOAuthProject } from "../oauth/helpers.ts";

// Issue 18 (low): a malformed Host reached URL construction and answered 500; a store failure in
// authorize, dev-login or the consent page answered hono's plain-text 500 with a stack trace on stderr.
// Now: 400 for a bad Host, and every failure in the shape its caller reads — an HTML page for browser
// endpoints, RFC 6749 JSON for the OAuth APIs, problem+json otherwise — and in the JSON log.

/** One raw HTTP/1.1 request, so the Host header can be anything (fetch would refuse to send these). */
function rawGet(port: number, path: string, host: string): Promise<{ status: number; contentType: string; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1", () => socket.write(`GET ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`));
    let data = "";
    socket.on("data", (chunk) => (data += chunk));
    socket.on("error", reject);
    socket.on("close", () => {
      const [head = "", body = ""] = data.split("\r\n\r\n");
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]);
      const contentType = /\r\ncontent-type: ([^\r]*)/i.exec(head)?.[1] ?? "";
      resolve({ status, contentType, body });
    });
  });
}

describe("malformed Host", () => {
  it("answers 400 problem+json for hosts URL construction cannot read, on every path", async () => {
    const gw = await startGateway(writeOAuthProject());
    const port = Number(new URL(gw.url).port);
    try {
      for (const host of [`127.0.0.1:${port}@evil.com`, "localhost:evil", "localhost:99999", "a b", "[::1", "x/y", "a#b"]) {
        for (const path of ["/oauth/authorize?client_id=x", "/.well-known/oauth-authorization-server", "/__mcpgw/health/live", "/mcp/demo-v1"]) {
          const r = await rawGet(port, path, host);
          expect({ host, path, status: r.status, type: r.contentType }).toEqual({ host, path, status: 400, type: "application/problem+json" });
          expect(JSON.parse(r.body)).toMatchObject({ status: 400, code: "MCPGW_BAD_HOST" });
        }
      }
      expect((await rawGet(port, "/__mcpgw/health/live", `127.0.0.1:${port}`)).status).toBe(200);
    } finally {
      await gw.stop();
    }
  });
});

describe("store failures in the authorization server", () => {
  it("answer in each endpoint's shape and are reported as mcp_auth_endpoint_failed", async () => {
    const dataDir = tempDataDir();
    const events: GatewayEvent[] = [];
    const gw = await startGateway(writeOAuthProject(), { dataDir, events });
    const db = new Database(join(dataDir, STORE_FILE));
    try {
      const client = await registerClient(gw.url);
      const browser = new Browser();
      // A table the endpoint needs disappears under the running gateway (a damaged or foreign-edited store).
      db.run("DROP TABLE oauth_authorization_requests");
      db.run("DROP TABLE oauth_browser_sessions");
      db.run("DROP TABLE oauth_codes");

      const authorize = await browser.request(authorizeUrl(gw.url, { clientId: client.client_id, challenge: pkcePair().challenge, state: "s" }));
      const devLogin = await browser.request(`${gw.url}/oauth/dev-login`);
      const setup = await browser.request(`${gw.url}/oauth/setup?request=areq_x`);
      for (const page of [authorize, devLogin, setup]) {
        expect({ url: page.url, status: page.status, type: page.headers.get("content-type") }).toEqual({ url: page.url, status: 500, type: "text/html; charset=utf-8" });
        expect(page.body).toContain("server_error");
        expect(page.body).not.toContain("SQLiteError");
        expect(page.body).not.toContain("    at ");
      }
      const token = await postForm(`${gw.url}/oauth/token`, { grant_type: "authorization_code", code: "ac_x", code_verifier: "v".repeat(43), client_id: client.client_id });
      expect(token.status).toBe(500);
      expect(token.headers.get("content-type")).toBe("application/json");
      expect(await token.json()).toMatchObject({ error: "server_error" });

      const failures = events.filter((e) => e.type === "mcp_auth" && e.name === "mcp_auth_endpoint_failed");
      expect(failures.length).toBe(4);
      expect(failures.every((e) => e.type === "mcp_auth" && e.level === "error" && String(e.fields.errMessage).includes("no such table"))).toBe(true);
    } finally {
      db.close();
      await gw.stop();
    }
  });
});
