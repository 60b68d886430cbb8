import { afterAll, beforeAll, expect, it } from "bun:test";
import { serve, type RunningGateway } from "../../src/cli/serve.ts";
import { mcpRoute, routesDoc, writeProject } from "../helpers/project.ts";

// An upstream that sends a tools/list result as its first SSE event, then keeps the stream open until
// the test releases it: the filtered event must reach the client while the upstream is still open.
let release!: () => void;
let gateway: RunningGateway;
let upstream: ReturnType<typeof Bun.serve>;

beforeAll(async () => {
  const held = new Promise<void>((r) => (release = r));
  upstream = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch() {
      const enc = new TextEncoder();
      const tools = [{ name: "visible", inputSchema: { type: "object" } }, { name: "hidden", inputSchema: { type: "object" } }];
      const stream = new ReadableStream<Uint8Array>({
        async start(controller) {
          controller.enqueue(enc.encode(`: keepalive\n\nid: 1\nevent: message\ndata: ${JSON.stringify({ jsonrpc: "2.0", id: 1, result: { tools } })}\n\n`));
          await held;
          controller.enqueue(enc.encode(`data: ${JSON.stringify({ jsonrpc: "2.0", method: "notifications/message", params: { level: "info", data: "bye" } })}\n\n`));
          controller.close();
        },
      });
      return new Response(stream, { headers: { "content-type": "text/event-stream" } });
    },
  });
  const dir = writeProject({
    policies: { policies: [{ name: "f", policyType: "mcp-capability-filter-inbound", handler: { module: "$import(@zuplo/runtime)", export: "McpCapabilityFilterInboundPolicy", options: { tools: ["visible"] } } }] },
    routes: routesDoc({ "/mcp/held-v1": { "get,post": mcpRoute("held", `http://127.0.0.1:${upstream.port}/mcp`, ["f"]) } }),
  });
  gateway = await serve({ projectDir: dir, port: 0, host: "127.0.0.1", dataDir: undefined, logLevel: "silent", logFormat: "json" }, "start", {});
});

afterAll(async () => {
  release();
  await gateway.stop();
  upstream.stop(true);
});

it("streams the filtered first SSE event while the upstream is still open", async () => {
  const res = await fetch(`${gateway.url}/mcp/held-v1`, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
  });
  const reader = res.body!.getReader();
  let seen = "";
  while (!seen.includes("\n\nid: 1") && !/data: .*"visible"/.test(seen)) {
    const { value, done } = await reader.read();
    if (done) throw new Error("stream ended before the first event: the upstream was still held open, so it was buffered");
    seen += new TextDecoder().decode(value);
  }
  while (!/data: .*\n\n/.test(seen.slice(seen.indexOf("id: 1")))) seen += new TextDecoder().decode((await reader.read()).value);
  expect(seen).toContain('"visible"');
  expect(seen).not.toContain('"hidden"');
  expect(seen).toContain("event: message");
  release();
  let rest = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    rest += new TextDecoder().decode(value);
  }
  expect(rest).toContain("notifications/message");
});
