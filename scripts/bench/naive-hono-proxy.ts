import { Hono } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";

// What "a gateway" costs when written naively, the floor mcpgw is measured against: hono, a bearer
// token looked up in a Map, the JSON-RPC body parsed and re-serialised both ways, global fetch().
// No streaming, no limits, no logging, no error mapping.

export function naiveProxy(upstreamUrl: string, tokens: ReadonlyMap<string, string>): Hono {
  const app = new Hono();
  app.post("/mcp", async (c) => {
    const user = tokens.get((c.req.header("authorization") ?? "").replace(/^Bearer /i, ""));
    if (user === undefined) return c.json({ error: "unauthorized" }, 401);
    const message: unknown = await c.req.json();
    const upstream = await fetch(upstreamUrl, {
      method: "POST",
      headers: { "content-type": "application/json", accept: c.req.header("accept") ?? "application/json, text/event-stream", "x-user": user },
      body: JSON.stringify(message),
    });
    const answer: unknown = await upstream.json();
    return c.json(answer, upstream.status as ContentfulStatusCode);
  });
  return app;
}

if (import.meta.main) {
  // bun scripts/bench/naive-hono-proxy.ts UPSTREAM_URL TOKEN
  const [upstreamUrl, token] = process.argv.slice(2);
  if (!upstreamUrl || !token) {
    console.error("usage: bun scripts/bench/naive-hono-proxy.ts UPSTREAM_URL TOKEN");
    process.exit(2);
  }
  const app = naiveProxy(upstreamUrl, new Map([[token, "bench-user"]]));
  const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: app.fetch });
  console.log(JSON.stringify({ event: "listening", url: `http://127.0.0.1:${server.port}/mcp` }));
  process.on("SIGTERM", () => process.exit(0));
  process.on("SIGINT", () => process.exit(0));
}
