import { describe, expect, it } from "bun:test";
import { networkInterfaces } from "node:os";
import { isLoopbackAddress } from "../../src/http/host.ts";
import { spawnCli } from "../helpers/cli.ts";
import { Browser, startGateway, tempDataDir, writeOAuthProject } from "../oauth/helpers.ts";

// /oauth/dev-login is loopback-only, judged by the socket's peer address. To prove it with a real socket
// the gateway listens on this machine's non-loopback address and is called through it. Loopback is not
// enough either (ssh -L, socat, kubectl port-forward relay strangers onto it): the browser must hold the
// dev-login key, from the link `mcpgw dev` prints at start-up (issue 18).

function nonLoopbackIPv4(): string | undefined {
  return Object.values(networkInterfaces())
    .flat()
    .find((a) => a && a.family === "IPv4" && !a.internal)?.address;
}

describe("dev-login", () => {
  it("signs in over loopback as dev-browser-user through the start-up link, which leaves the key in a cookie", async () => {
    const gw = await startGateway(writeOAuthProject());
    try {
      expect(gw.devLoginUrl).toMatch(new RegExp(`^${gw.url}/oauth/dev-login\\?key=[A-Za-z0-9_-]{43}$`));
      const r = await fetch(gw.devLoginUrl!, { redirect: "manual" });
      expect(r.status).toBe(200);
      expect(await r.text()).toContain("dev-browser-user");
      const keyCookie = r.headers.getSetCookie().find((c) => c.startsWith("mcpgw_dev_login_key="))!;
      expect(keyCookie).toContain("HttpOnly");
      expect(keyCookie).toContain("Path=/oauth/dev-login");
      // Later visits (the MCP client's authorize redirect) carry only the cookie.
      const later = await fetch(`${gw.url}/oauth/dev-login`, { redirect: "manual", headers: { cookie: keyCookie.split(";")[0]! } });
      expect(later.status).toBe(200);
    } finally {
      await gw.stop();
    }
  });

  it("answers 403 over loopback to a browser without the key (a port forward relays strangers onto loopback)", async () => {
    const gw = await startGateway(writeOAuthProject());
    try {
      for (const url of [`${gw.url}/oauth/dev-login`, `${gw.url}/oauth/dev-login?key=wrong`, `${gw.url}/oauth/dev-login?key=${"A".repeat(43)}`]) {
        const r = await fetch(url, { redirect: "manual" });
        expect(r.status).toBe(403);
        expect(r.headers.get("set-cookie")).toBeNull();
        expect(await r.text()).toContain("dev-login link");
      }
      // The whole flow stops at dev-login for such a browser: no session, no consent page.
      const { page } = await new Browser({ withDevLoginKey: false }).navigate(`${gw.url}/oauth/dev-login?request=areq_x`);
      expect(page.status).toBe(403);
    } finally {
      await gw.stop();
    }
  });

  it("prints the link at start-up with the warning under `mcpgw dev`, and none under `mcpgw start`", async () => {
    const dev = spawnCli(["dev", "--project", writeOAuthProject(), "--data-dir", tempDataDir(), "--port", "0"]);
    try {
      const line = await dev.waitFor((e) => e.event === "dev_login_link");
      const url = await dev.url();
      expect(line.url).toMatch(new RegExp(`^${url}/oauth/dev-login\\?key=[A-Za-z0-9_-]{43}$`));
      expect(String(line.msg)).toContain("port-forward");
      expect((await fetch(String(line.url), { redirect: "manual" })).status).toBe(200);
    } finally {
      await dev.stop();
    }
    const start = await startGateway(writeOAuthProject(), { mode: "start" });
    try {
      expect(start.devLoginUrl).toBeUndefined();
    } finally {
      await start.stop();
    }
  });

  it("answers 403 to a request that arrives over a non-loopback address", async () => {
    const address = nonLoopbackIPv4();
    expect(address, "this test needs a non-loopback IPv4 address on the machine").toBeDefined();
    const gw = await startGateway(writeOAuthProject(), { host: "0.0.0.0" });
    try {
      const port = new URL(gw.url).port;
      const key = new URL(gw.devLoginUrl!).search;
      const r = await fetch(`http://${address}:${port}/oauth/dev-login${key}`, { redirect: "manual" });
      expect(r.status).toBe(403);
      expect(r.headers.get("set-cookie")).toBeNull();
      expect(await r.text()).toContain("loopback");
      // The same listener still serves loopback callers.
      expect((await fetch(`http://127.0.0.1:${port}/oauth/dev-login${key}`, { redirect: "manual" })).status).toBe(200);
    } finally {
      await gw.stop();
    }
  });

  it("answers 403 when a proxy relayed the request, even from loopback", async () => {
    const gw = await startGateway(writeOAuthProject());
    try {
      const r = await fetch(gw.devLoginUrl!, { redirect: "manual", headers: { "x-forwarded-for": "203.0.113.9" } });
      expect(r.status).toBe(403);
    } finally {
      await gw.stop();
    }
  });

  it("answers 403 under `mcpgw start`", async () => {
    const gw = await startGateway(writeOAuthProject(), { mode: "start" });
    try {
      expect((await fetch(`${gw.url}/oauth/dev-login`, { redirect: "manual" })).status).toBe(403);
    } finally {
      await gw.stop();
    }
  });

  it("judges loopback by address: 127.0.0.0/8, ::1 and IPv4-mapped loopback only", () => {
    for (const a of ["127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1"]) expect(isLoopbackAddress(a)).toBe(true);
    for (const a of [undefined, "", "10.0.0.1", "192.0.2.2", "::ffff:10.0.0.1", "fe80::1", "128.0.0.1", "localhost"]) expect(isLoopbackAddress(a)).toBe(false);
  });
});
