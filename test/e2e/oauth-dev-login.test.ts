import { describe, expect, it } from "bun:test";
import { networkInterfaces } from "node:os";
import { isLoopbackAddress } from "../../src/http/host.ts";
import { startGateway, writeOAuthProject } from "../oauth/helpers.ts";

// /oauth/dev-login is loopback-only, judged by the socket's peer address. To prove it with a real socket
// the gateway listens on this machine's non-loopback address and is called through it.

function nonLoopbackIPv4(): string | undefined {
  return Object.values(networkInterfaces())
    .flat()
    .find((a) => a && a.family === "IPv4" && !a.internal)?.address;
}

describe("dev-login", () => {
  it("signs in over loopback as dev-browser-user", async () => {
    const gw = await startGateway(writeOAuthProject());
    try {
      const r = await fetch(`${gw.url}/oauth/dev-login`, { redirect: "manual" });
      expect(r.status).toBe(200);
      expect(await r.text()).toContain("dev-browser-user");
    } finally {
      await gw.stop();
    }
  });

  it("answers 403 to a request that arrives over a non-loopback address", async () => {
    const address = nonLoopbackIPv4();
    expect(address, "this test needs a non-loopback IPv4 address on the machine").toBeDefined();
    const gw = await startGateway(writeOAuthProject(), { host: "0.0.0.0" });
    try {
      const port = new URL(gw.url).port;
      const r = await fetch(`http://${address}:${port}/oauth/dev-login`, { redirect: "manual" });
      expect(r.status).toBe(403);
      expect(r.headers.get("set-cookie")).toBeNull();
      expect(await r.text()).toContain("loopback");
      // The same listener still serves loopback callers.
      expect((await fetch(`http://127.0.0.1:${port}/oauth/dev-login`, { redirect: "manual" })).status).toBe(200);
    } finally {
      await gw.stop();
    }
  });

  it("answers 403 when a proxy relayed the request, even from loopback", async () => {
    const gw = await startGateway(writeOAuthProject());
    try {
      const r = await fetch(`${gw.url}/oauth/dev-login`, { redirect: "manual", headers: { "x-forwarded-for": "203.0.113.9" } });
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
