import { expect, it } from "bun:test";
import { connect } from "node:net";
import { startGateway } from "../helpers/gateway.ts";
import { mcpRoute, routesDoc } from "../helpers/project.ts";
import { oauthPolicy, OAUTH_POLICY } from "../oauth/helpers.ts";

// Issue 18 (low): a client that hangs up while sending its body was logged at error level, one line
// each (4,000 lines for 4,000 slow clients). Now each is counted: one info line per 10 s with the count,
// the rest at debug, and nothing at error. Real sockets that send half a body and close.

/** POST with a Content-Length of 1,000, send 10 bytes, hang up. */
function abortedPost(port: number, path: string, contentType: string): Promise<void> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1", () => {
      socket.write(`POST ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: ${contentType}\r\nAccept: application/json, text/event-stream\r\nContent-Length: 1000\r\n\r\n{"jsonrpc"`);
      setTimeout(() => socket.destroy(), 30);
    });
    socket.on("close", () => resolve());
    socket.on("error", () => resolve());
  });
}

it("counts clients that hang up mid-body instead of logging each as an error", async () => {
  const gw = await startGateway({
    policies: { policies: [oauthPolicy()] },
    routes: routesDoc({ "/mcp/open": { "get,post": mcpRoute("open-route", "mcpgw:demo") }, "/mcp/demo-v1": { "get,post": mcpRoute("demo", "mcpgw:demo", [OAUTH_POLICY]) } }),
    logLevel: "debug",
  });
  const port = Number(new URL(gw.url).port);
  try {
    const sent = 40;
    await Promise.all(Array.from({ length: 30 }, () => abortedPost(port, "/mcp/open", "application/json")));
    await Promise.all(Array.from({ length: 10 }, () => abortedPost(port, "/oauth/token", "application/x-www-form-urlencoded")));
    // Every abort is counted (the last line seen carries the running total).
    await gw.waitForLog((e) => e.event === "client_aborted" && e.total === sent, 10_000);
    const lines = gw.events("client_aborted");
    const info = lines.filter((e) => e.level === "info");
    expect(lines).toHaveLength(sent);
    expect(info.length).toBeGreaterThanOrEqual(1);
    expect(info.length).toBeLessThan(sent / 4);
    expect(info[0]).toMatchObject({ count: 1, total: 1 });
    expect(gw.logs.filter((e) => e.level === "error")).toEqual([]);
    // The gateway still serves.
    expect((await fetch(`${gw.url}/__mcpgw/health/ready`)).status).toBe(200);
  } finally {
    await gw.stop();
  }
});
